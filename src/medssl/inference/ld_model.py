"""Finding and loading layer-decomposition models: shipped names or weights files.

A model is named by a path to a medssl weights file (``medssl.models.save_weights``
format) or by the name of a shipped model in :data:`SHIPPED` (files under
``src/medssl/weights``). The file must come from the ``ld`` method
(``extra["method"] == "ld"``), and its network must output the three layers.

How an input is preprocessed is read from, in order:

1. ``extra["ld"]``: the preset written with the weights (shipped files, and
   :func:`medssl.zeroshot.package.package_weights`);
2. ``config.yaml`` beside the file (a ``medssl pretrain`` run folder): its
   ``method_options.preset`` (and ``spacing``/``patch_size``);
3. otherwise the ``brain_flair`` preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medssl.errors import MedsslError
from medssl.methods.ld.presets import LDPreset, ld_preset

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
SHIPPED: dict[str, str] = {"ld_brain_flair": "ld_brain_flair.pt"}
DEFAULT_MODEL = "ld_brain_flair"

_TRAIN_HINT = {
    "ld_brain_flair": (
        "train it with 'medssl pretrain --method ld --config configs/ld_brain.yaml "
        "--out runs/ld_brain', then pass --model runs/ld_brain/model.pt (or package it "
        "with medssl.zeroshot.package.package_weights to {path})"
    ),
}


@dataclass
class LDModel:
    """A loaded layer-decomposition network and how to feed it.

    Attributes:
        model: The network (eval mode, on the CPU); outputs (normal, tumour, mask logit).
        preset: Preprocessing and inference settings.
        path: The weights file.
    """

    model: Any
    preset: LDPreset
    path: Path


def resolve_model_path(name_or_path: str | Path | None) -> Path:
    """The weights file of a shipped model name or a path.

    Raises:
        MedsslError: An unknown name, a missing file, or a shipped model whose weights
            are not there yet (the message says how to train it).
    """
    name = str(name_or_path) if name_or_path is not None else DEFAULT_MODEL
    if name in SHIPPED:
        path = WEIGHTS_DIR / SHIPPED[name]
        if not path.is_file():
            hint = _TRAIN_HINT.get(name, "train it with medssl pretrain --method ld").format(
                path=path
            )
            raise MedsslError(f"model '{name}' has no weights file yet ({path} is missing); {hint}")
        return path
    path = Path(name)
    if path.is_file():
        return path
    if path.exists():
        raise MedsslError(f"model must be a weights file; {path} is a folder")
    raise MedsslError(
        f"model file not found: {path} (give a weights file or one of: {', '.join(SHIPPED)})"
    )


def preset_of(extra: dict[str, Any], path: Path) -> LDPreset:
    """The preset stored with a weights file (see the module docstring for the order)."""
    if isinstance(extra.get("ld"), dict):
        return LDPreset.from_dict(extra["ld"], source=str(path))
    config = path.parent / "config.yaml"
    if config.is_file():
        import yaml

        try:
            data = yaml.safe_load(config.read_text()) or {}
        except yaml.YAMLError:
            data = {}
        options = data.get("method_options") or {} if isinstance(data, dict) else {}
        if isinstance(options, dict):
            return ld_preset(
                str(options.get("preset", "brain_flair")),
                spacing=options.get("spacing"),
                patch_size=options.get("patch_size"),
                window=options.get("window"),
                normalisation=options.get("normalisation"),
                landmarks=options.get("landmarks"),
            )
    return ld_preset("brain_flair")


def load_ld_model(name_or_path: str | Path | None = None) -> LDModel:
    """Load an ``ld`` model for inference.

    Args:
        name_or_path: A weights file, a shipped model name, or ``None`` for
            :data:`DEFAULT_MODEL`.

    Returns:
        The network (eval mode) with its preset.

    Raises:
        MedsslError: As :func:`resolve_model_path`; a file from another method
            ("X holds weights of method 'genesis', expected 'ld'"); a network without
            three output channels; a corrupt file.
    """
    from medssl.models import build_model_from_weights, load_weights

    path = resolve_model_path(name_or_path)
    wf = load_weights(path)
    method = wf.extra.get("method")
    if method != "ld":
        what = f"method '{method}'" if method else "no recorded method"
        raise MedsslError(f"{path} holds weights of {what}, expected 'ld'")
    if wf.part != "model":
        raise MedsslError(
            f"{path} holds only an encoder; zero-shot segmentation needs the whole network"
        )
    model = build_model_from_weights(path)
    out = getattr(model, "out_channels", None)
    if out != 3:
        raise MedsslError(
            f"{path}: an ld network must output 3 channels (normal, tumour, mask); got {out}"
        )
    import torch

    model = model.eval().to(memory_format=torch.channels_last_3d)  # bf16 CPU kernels want it
    return LDModel(model=model, preset=preset_of(wf.extra, path), path=path)

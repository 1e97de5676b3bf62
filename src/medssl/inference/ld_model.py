"""Finding and loading layer-decomposition models: shipped names or weights files.

A model is named by a path to a medssl weights file (``medssl.models.save_weights``
format) or by the name of a shipped model in :data:`SHIPPED` (files under
``src/medssl/weights``). The file must come from the ``ld`` method
(``extra["method"] == "ld"``), and its network must output the three layers.

Everything inference needs comes from the weights file alone, so a file copied out
of its run folder works the same: the architecture (``arch``, ``config``), the preset
(``extra["ld"]``, written by the ``ld`` method's ``export_metadata`` when a run ends,
and by :func:`medssl.zeroshot.package.package_weights`) and the default mask
threshold (``extra["threshold"]``, else 0.5) with its hysteresis grow threshold
(``extra["grow_threshold"]``, else none) and its component filter
(``extra["min_volume_mm3"]``, ``extra["min_share"]``), and for a CT organ model the range of
organ median HU it was trained on (``extra["organ_hu_range"]``). A run's ``config.yaml`` is
never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medssl.errors import MedsslError
from medssl.methods.ld.presets import LDPreset

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
SHIPPED: dict[str, str] = {"ld_brain_flair": "ld_brain_flair.pt", "ld_liver_ct": "ld_liver_ct.pt"}
DEFAULT_MODEL = "ld_brain_flair"

_TRAIN_HINT = {
    "ld_brain_flair": (
        "train it with 'medssl pretrain --method ld --config configs/ld_brain.yaml "
        "--out runs/ld_brain', then pass --model runs/ld_brain/model.pt (or package it "
        "with medssl.zeroshot.package.package_weights to {path})"
    ),
    "ld_liver_ct": (
        "train it with 'medssl pretrain --config configs/ld_liver_ct_noircadb.yaml "
        "--out runs/ld_liver_ct_noircadb', then pass --model "
        "runs/ld_liver_ct_noircadb/model.pt (or package it with "
        "medssl.zeroshot.package.package_weights to {path})"
    ),
}


@dataclass
class LDModel:
    """A loaded layer-decomposition network and how to feed it.

    Attributes:
        model: The network (eval mode, on the CPU); outputs (normal, tumour, mask logit).
        preset: Preprocessing and inference settings.
        path: The weights file.
        threshold: The mask probability threshold recorded with the weights.
        grow_threshold: The hysteresis grow threshold recorded with the weights (``None``:
            a plain threshold).
        min_volume_mm3: The smallest component kept, recorded with the weights (``None``:
            the library's default, :data:`medssl.inference.ld.MIN_VOLUME_MM3`).
        min_share: Components under this share of the largest are dropped (0: none).
        organ_hu_range: The organ's median HU over the training scans (the CT
            randomisation's range), or ``None`` when not recorded.
    """

    model: Any
    preset: LDPreset
    path: Path
    threshold: float = 0.5
    grow_threshold: float | None = None
    min_volume_mm3: float | None = None
    min_share: float = 0.0
    organ_hu_range: tuple[float, float] | None = None


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
    """The preset stored in a weights file's ``extra["ld"]``.

    Raises:
        MedsslError: A file that records no preset (the message says how to add one),
            or a malformed preset.
    """
    if isinstance(extra.get("ld"), dict):
        return LDPreset.from_dict(extra["ld"], source=str(path))
    raise MedsslError(
        f"{path} records no layer-decomposition preset (extra['ld']), so how to prepare "
        "a scan for it is unknown; store one with medssl.zeroshot.package.package_weights"
        f"('{path}', DEST, preset=ld_preset(NAME))"
    )


def _probability(value: Any, path: Path, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0.0 < number < 1.0:
        raise MedsslError(f"{path}: stored {what} must be in (0, 1); got {value!r}")
    return number


def grow_threshold_of(extra: dict[str, Any], path: Path) -> float | None:
    """The hysteresis grow threshold stored with the weights (``None`` when none is).

    Raises:
        MedsslError: A stored value outside (0, 1).
    """
    value = extra.get("grow_threshold")
    return None if value is None else _probability(value, path, "grow threshold")


def threshold_of(extra: dict[str, Any], path: Path) -> float:
    """The mask threshold stored with the weights (0.5 when none is).

    Raises:
        MedsslError: A stored threshold outside (0, 1).
    """
    value = extra.get("threshold", (extra.get("ld") or {}).get("threshold", 0.5))
    return _probability(value, path, "threshold")


def component_rule_of(extra: dict[str, Any], path: Path) -> tuple[float | None, float]:
    """The component filter stored with the weights: (smallest mm³ or ``None``, least share).

    Raises:
        MedsslError: A stored volume below 0 or a share outside [0, 1).
    """
    volume, share = extra.get("min_volume_mm3"), extra.get("min_share", 0.0)
    try:
        volume = None if volume is None else float(volume)
        share = float(share)
    except (TypeError, ValueError):
        volume, share = float("nan"), float("nan")
    if (volume is not None and not volume >= 0.0) or not 0.0 <= share < 1.0:
        raise MedsslError(
            f"{path}: stored min_volume_mm3 must be >= 0 and min_share in [0, 1); got "
            f"{extra.get('min_volume_mm3')!r}, {extra.get('min_share')!r}"
        )
    return volume, share


def hu_range(value: Any, where: str = "") -> tuple[float, float] | None:
    """``value`` as two increasing HU (``None`` stays ``None``).

    Raises:
        MedsslError: Anything else; the message starts with ``where``.
    """
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not low < high:
        raise MedsslError(f"{where}organ_hu_range must be two increasing HU; got {value!r}")
    return low, high


def organ_hu_range_of(extra: dict[str, Any], path: Path) -> tuple[float, float] | None:
    """The organ median HU range stored with the weights (``None`` when none is).

    Raises:
        MedsslError: A stored value that is not two increasing numbers.
    """
    return hu_range(extra.get("organ_hu_range"), f"{path}: stored ")


def load_ld_model(
    name_or_path: str | Path | None = None, *, preset: LDPreset | None = None
) -> LDModel:
    """Load an ``ld`` model for inference, from its weights file alone.

    Args:
        name_or_path: A weights file, a shipped model name, or ``None`` for
            :data:`DEFAULT_MODEL`.
        preset: Use this preset instead of the stored one (for packaging a file
            that records none).

    Returns:
        The network (eval mode) with its preset.

    Raises:
        MedsslError: As :func:`resolve_model_path`; a file from another method
            ("X holds weights of method 'genesis', expected 'ld'"); a network without
            three output channels; a corrupt file; no stored preset (and none given).
    """
    from medssl.models import load_model, load_weights

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
    model = load_model(path)
    out = getattr(model, "out_channels", None)
    if out != 3:
        raise MedsslError(
            f"{path}: an ld network must output 3 channels (normal, tumour, mask); got {out}"
        )
    import torch

    model = model.eval().to(memory_format=torch.channels_last_3d)  # bf16 CPU kernels want it
    volume, share = component_rule_of(wf.extra, path)
    return LDModel(
        model=model,
        preset=preset or preset_of(wf.extra, path),
        path=path,
        threshold=threshold_of(wf.extra, path),
        grow_threshold=grow_threshold_of(wf.extra, path),
        min_volume_mm3=volume,
        min_share=share,
        organ_hu_range=organ_hu_range_of(wf.extra, path),
    )

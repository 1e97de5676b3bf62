"""Weights files: a network's parameters with what is needed to rebuild it.

A weights file is a ``torch.save`` of a plain dictionary::

    {"format": "medssl-weights", "format_version": 2, "arch": "unet3d",
     "config": {...}, "part": "model" | "encoder", "medssl_version": "0.1.0",
     "extra": {...}, "state_dict": {...}}

``create_model(arch, **config)`` rebuilds the network; with ``part == "encoder"`` the
state dict is that of its encoder alone, which loads into the encoder of any network
built from the same encoder (a :class:`~medssl.models.segnet.SegNet`, a UNet).
:func:`load_model` does the rebuilding from the path alone.

The architecture is the true one: a network built by
:func:`~medssl.models.create_model` records its name and options, wrappers included
(SAR's ``sar_net``, the pretext tasks' ``tile_classifier`` hold the spec of the network
inside them), and :func:`save_weights` writes that record when no ``arch`` is given.
``extra`` holds what inference needs beyond the network (a method's
``export_metadata``: preprocessing preset, threshold, window, classes), so a file copied
out of its run folder is still usable.

Files are written atomically and read with ``torch.load(weights_only=True)``, so
loading never runs code from the file. Every load is strict: missing keys, unexpected
keys and shape mismatches raise :class:`~medssl.errors.MedsslError`. Files of format
version 1 (the same dictionary) are read as well.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

import medssl
from medssl.errors import MedsslError
from medssl.io import atomic_path
from medssl.models.base import encoder_of, encoder_part, is_encoder, unwrap_model
from medssl.models.registry import ARCH_ATTR, ENCODER_OF_ATTR, create_model, model_names

FORMAT = "medssl-weights"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
_PREVIEW = 5


@dataclass(frozen=True)
class WeightsFile:
    """The content of a weights file.

    Attributes:
        path: Where it was read from.
        arch: Registered model name that rebuilds the network.
        config: Options of ``create_model(arch, **config)``.
        part: ``"model"`` (the whole network) or ``"encoder"`` (its encoder alone).
        medssl_version: Version of medssl that wrote it.
        state_dict: Parameters and buffers, on the CPU.
        extra: Free plain data (method, step, metrics...).
    """

    path: Path
    arch: str
    config: dict[str, Any]
    part: str
    medssl_version: str
    state_dict: dict[str, torch.Tensor]
    extra: dict[str, Any] = field(default_factory=dict)

    def encoder_state_dict(self) -> dict[str, torch.Tensor]:
        """The encoder's parameters, whether the file holds the encoder or the network.

        Raises:
            MedsslError: If the network in the file has no ``encoder`` part.
        """
        if self.part == "encoder":
            return self.state_dict
        prefix = "encoder."
        sub = {k[len(prefix) :]: v for k, v in self.state_dict.items() if k.startswith(prefix)}
        if not sub:
            raise MedsslError(f"{self.path} holds weights for '{self.arch}' with no encoder part")
        return sub


def _check_plain(value: Any, *, where: str) -> None:
    """Raise unless ``value`` is plain data that ``torch.load(weights_only=True)`` reads."""
    if value is None or isinstance(value, bool | int | float | str):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_plain(item, where=f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MedsslError(f"{where} keys must be strings; got {key!r}")
            _check_plain(item, where=f"{where}.{key}")
        return
    raise MedsslError(
        f"{where} must hold only plain data (numbers, strings, lists, dicts); "
        f"got {type(value).__name__}"
    )


def recorded_architecture(module: nn.Module, *, part: str = "model") -> dict[str, Any] | None:
    """The ``{"arch", "config"}`` a network built by ``create_model`` recorded, or None.

    With ``part == "encoder"`` it is the spec of the network the encoder belongs to
    (the innermost one: the UNet whose encoder a wrapper shares), or of the encoder
    itself when it was built on its own.
    """
    module = unwrap_model(module)
    if part == "encoder":
        if hasattr(module, "encoder") and not hasattr(module, ENCODER_OF_ATTR):
            module = module.encoder
        spec = getattr(module, ENCODER_OF_ATTR, None) or getattr(module, ARCH_ATTR, None)
    else:
        spec = getattr(module, ARCH_ATTR, None)
    return spec if isinstance(spec, dict) else None


def save_weights(
    path: str | Path,
    model: nn.Module,
    *,
    arch: str | None = None,
    config: Mapping[str, Any] | None = None,
    part: Literal["model", "encoder"] = "model",
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a network's (or its encoder's) weights atomically.

    Args:
        path: The file to write (conventionally ``*.pt``); its folder is created.
        model: The network; DDP and ``torch.compile`` wrappers are removed.
        arch: Registered model name that rebuilds it; None for the architecture the
            network recorded when :func:`~medssl.models.create_model` built it.
        config: Options for ``create_model(arch, **config)``; plain data only (None
            with ``arch`` None).
        part: ``"model"`` for the whole network, ``"encoder"`` for ``model.encoder``
            (or ``model`` itself when it is an encoder). A bare encoder is always
            saved as ``"encoder"``.
        extra: Further plain data to keep (method name, step, metrics...).

    Returns:
        The path written.

    Raises:
        TypeError: If ``model`` is not a module (e.g. the arguments are swapped).
        MedsslError: For an unknown ``arch`` or ``part``, non-plain ``config``/``extra``,
            a network without an encoder when ``part="encoder"``, or an unwritable
            folder.
    """
    if not isinstance(model, nn.Module) or isinstance(path, nn.Module):
        raise TypeError(
            "call save_weights(path, model, *, arch, config): model must be a torch.nn.Module; "
            f"got path={type(path).__name__}, model={type(model).__name__}"
        )
    if part not in ("model", "encoder"):
        raise MedsslError(f"part must be 'model' or 'encoder'; got {part!r}")
    if arch is None:
        recorded = recorded_architecture(model, part=part)
        if recorded is None:
            raise MedsslError(
                f"{type(unwrap_model(model)).__name__} records no architecture (build it with "
                "medssl.models.create_model, or give arch and config)"
            )
        arch, config = recorded["arch"], recorded["config"]
    config = dict(config or {})
    if arch not in model_names():
        raise MedsslError(f"unknown model '{arch}'; valid names: {', '.join(model_names())}")
    _check_plain(dict(config), where="config")
    _check_plain(dict(extra or {}), where="extra")
    module = unwrap_model(model)
    if part == "encoder" or (is_encoder(module) and not hasattr(module, "encoder")):
        if not hasattr(module, ENCODER_OF_ATTR):  # not already the encoder of a network
            module = encoder_part(module)
        part = "encoder"
    state = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "config": dict(config),
        "part": part,
        "medssl_version": medssl.__version__,
        "extra": dict(extra or {}),
        "state_dict": state,
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_weights(path: str | Path, *, expected_arch: str | None = None) -> WeightsFile:
    """Read and check a weights file (never executes code from it).

    Args:
        path: The file.
        expected_arch: If given, the file's ``arch`` must equal it.

    Returns:
        The file's content.

    Raises:
        MedsslError: If the file is missing, corrupt, truncated, not a medssl weights
            file, or holds another architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise MedsslError(f"weights file {path} does not exist or is not a file")
    bad = f"cannot read weights file {path}: corrupt or not a medssl weights file"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. pickle-protocol notes on foreign files
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - unpickling, zip and EOF errors mean the same here
        raise MedsslError(bad) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MedsslError(bad)
    version = data.get("format_version", 1)
    if version not in READABLE_VERSIONS:
        raise MedsslError(
            f"weights file {path} has format version {version!r}; this medssl "
            f"({medssl.__version__}) reads versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    fields = {"arch": str, "config": dict, "part": str, "medssl_version": str, "state_dict": dict}
    for name, kind in fields.items():
        if not isinstance(data.get(name), kind):
            raise MedsslError(f"{bad} (entry '{name}' missing or of the wrong type)")
    if data["part"] not in ("model", "encoder"):
        raise MedsslError(f"{bad} (part must be 'model' or 'encoder'; got {data['part']!r})")
    if not all(isinstance(v, torch.Tensor) for v in data["state_dict"].values()):
        raise MedsslError(f"{bad} (state_dict holds values that are not tensors)")
    if expected_arch is not None and data["arch"] != expected_arch:
        raise MedsslError(f"{path} holds weights for '{data['arch']}', expected '{expected_arch}'")
    return WeightsFile(
        path=path,
        arch=data["arch"],
        config=data["config"],
        part=data["part"],
        medssl_version=data["medssl_version"],
        state_dict=data["state_dict"],
        extra=data.get("extra") or {},
    )


def _preview(keys: list[str]) -> str:
    shown = ", ".join(keys[:_PREVIEW])
    return shown if len(keys) <= _PREVIEW else f"{shown} and {len(keys) - _PREVIEW} more"


def load_state_strict(
    module: nn.Module, state_dict: Mapping[str, torch.Tensor], *, source: str
) -> None:
    """Load a state dict that must match ``module`` key for key and shape for shape.

    Args:
        module: Receives the parameters (in place).
        state_dict: Parameters and buffers.
        source: Where they come from (a file name), for the message.

    Raises:
        MedsslError: One line listing missing keys, unexpected keys and shape
            mismatches (long lists are cut with a count).
    """
    module = unwrap_model(module)
    own = module.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [
        f"{k}: file {list(v.shape)} vs model {list(own[k].shape)}"
        for k, v in state_dict.items()
        if k in own and v.shape != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing key(s) ({_preview(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s) ({_preview(unexpected)})")
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es) ({_preview(mismatched)})")
    if problems:
        raise MedsslError(
            f"weights from {source} do not fit {type(module).__name__}: " + "; ".join(problems)
        )
    module.load_state_dict(state_dict, strict=True)


def load_model(path: str | Path, *, expected_arch: str | None = None) -> nn.Module:
    """Rebuild the network stored in any medssl weights file, with its weights.

    As timm's ``create_model`` builds from a name, this builds from a file: the
    recorded architecture (wrappers included) is created with the recorded options
    and the weights are loaded strictly. What inference needs beyond the network is
    in the file's ``extra`` (:func:`load_weights`).

    Args:
        path: A weights file (``RUN/model.pt``, ``RUN/encoder.pt``, a shipped model).
        expected_arch: If given, the file's ``arch`` must equal it.

    Returns:
        The network, or its encoder when the file holds ``part == "encoder"``; in
        training mode, as built.

    Raises:
        MedsslError: One line: a missing file, a file that is not a medssl weights
            file, an unknown architecture, options the architecture does not take, or
            weights that do not fit the rebuilt network.
    """
    wf = load_weights(path, expected_arch=expected_arch)
    if wf.arch not in model_names():
        raise MedsslError(
            f"{wf.path} holds weights of an unknown architecture '{wf.arch}'; "
            f"this medssl builds: {', '.join(model_names())}"
        )
    try:
        model = create_model(wf.arch, **wf.config)
    except (MedsslError, TypeError, ValueError) as exc:
        raise MedsslError(f"cannot build the network stored in {wf.path}: {exc}") from None
    if wf.part == "encoder":
        model = encoder_part(model)
    load_state_strict(model, wf.state_dict, source=f"{wf.path}")
    return model


def build_model_from_weights(path: str | Path, *, expected_arch: str | None = None) -> nn.Module:
    """The same as :func:`load_model` (its earlier name)."""
    return load_model(path, expected_arch=expected_arch)


def load_model_weights(
    model: nn.Module, path: str | Path, *, expected_arch: str | None = None
) -> WeightsFile:
    """Load a whole-network weights file strictly into ``model`` (in place).

    Raises:
        MedsslError: As :func:`load_weights`; if the file holds only an encoder while
            ``model`` is a full network; or as :func:`load_state_strict`.
    """
    wf = load_weights(path, expected_arch=expected_arch)
    target = unwrap_model(model)
    if wf.part == "encoder" and hasattr(target, "encoder"):
        raise MedsslError(
            f"{wf.path} holds only encoder weights; load them with load_encoder_weights"
        )
    load_state_strict(target, wf.state_dict, source=f"{wf.path} ('{wf.arch}')")
    return wf


def load_encoder_weights(
    model: nn.Module, path: str | Path, *, expected_arch: str | None = None
) -> WeightsFile:
    """Load pretrained encoder weights strictly into ``model.encoder`` (or ``model``).

    The file may hold an encoder alone or a whole network with an ``encoder`` part; the
    decoder and head of ``model`` keep their (random) initialisation. This is how
    fine-tuning starts from a pretrained encoder.

    Args:
        model: A network with an ``encoder`` (e.g. :class:`SegNet`, UNet) or an encoder.
        path: The weights file.
        expected_arch: If given, the file's ``arch`` must equal it.

    Returns:
        The file's content (for its ``arch``, ``config`` and ``extra``).

    Raises:
        MedsslError: As :func:`load_weights` and :func:`load_state_strict`.
    """
    wf = load_weights(path, expected_arch=expected_arch)
    load_state_strict(
        encoder_of(model), wf.encoder_state_dict(), source=f"{wf.path} (encoder of '{wf.arch}')"
    )
    return wf

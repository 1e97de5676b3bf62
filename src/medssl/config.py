"""Typed run configurations: dataclasses read from YAML, overridden from the command line.

Every command keeps its options in one dataclass. :func:`load_config` reads a YAML file,
applies ``key=value`` overrides (dotted keys reach into dict fields, e.g.
``model_kwargs.features=[16,32]``), checks each value against the field's type, and
returns the dataclass. Unknown keys and bad values raise :class:`MedsslError` naming
the key, the rule and the file. :func:`save_config` writes the resolved configuration
next to a run's outputs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from medssl.errors import MedsslError

C = TypeVar("C")

OPTIMIZERS = ("adam", "adamw", "sgd", "lars")
SCHEDULES = ("constant", "cosine", "plateau")
PRECISIONS = ("auto", "bf16", "fp32")
DEVICES = ("auto", "cpu", "cuda")


@dataclasses.dataclass
class TrainConfig:
    """Options of one pre-training run (``medssl pretrain``).

    Attributes:
        method: Registered self-supervised method, e.g. ``"genesis"``.
        method_options: Keyword arguments of the method's constructor.
        model: Registered network name passed to the method's ``build_model``.
        model_kwargs: Keyword arguments of the network factory.
        data: Data specs (image files, folders, CSV, dataset.json).
        out: Run folder (checkpoints, logs, config, exported weights).
        steps: Optimiser steps of the whole run.
        batch_size: Samples per step and per process.
        lr: Base learning rate (hooks may scale it per parameter group).
        optimizer: One of ``adam``, ``adamw``, ``sgd``, ``lars``.
        weight_decay: L2 / decoupled weight decay.
        momentum: Momentum of SGD and LARS.
        nesterov: Nesterov momentum for SGD.
        schedule: One of ``constant``, ``cosine``, ``plateau``.
        warmup_steps: Linear warm-up length from 0 to ``lr``.
        min_lr_ratio: Floor of the cosine schedule, as a fraction of ``lr``.
        plateau_patience: Evaluations without improvement before the LR drops.
        plateau_factor: Factor applied to the LR on a plateau.
        grad_clip: Clip the global gradient norm to this value (0 = off).
        precision: ``auto`` (bf16 autocast where the device computes bf16 natively,
            fp32 elsewhere), ``bf16`` or ``fp32``.
        channels_last: channels_last_3d memory layout on CPU: true, false, or null
            (default) to use it unless the network has instance-norm layers.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        num_workers: DataLoader worker processes (0 = load in the main process).
        prefetch_factor: Batches prefetched per worker.
        seed: Run seed; every other seed is derived from it.
        deterministic: Ask torch for deterministic algorithms only.
        ckpt_every: Write ``checkpoints/last.pt`` every N steps (0 = only at the end).
        log_every: Write a ``log.csv`` row every N steps (and, when stderr is not a
            terminal, a progress line).
        val_every: Run the method's ``validate`` every N steps (0 = never).
        resume: Continue from ``OUT/checkpoints/last.pt``.
        init: A medssl weights file of the same network (e.g. a shipped model or
            another run's ``model.pt``) whose parameters start this run instead of a
            random initialisation; the optimiser and schedule start afresh. Ignored
            when resuming (the checkpoint holds the state). Empty: random start.
        force: With ``resume``: continue even though run-defining settings (seed, lr,
            data, ...) differ from the checkpoint's; the new settings are recorded in
            ``config.resumed-<n>.yaml`` beside the untouched ``config.yaml``.
        progress: Show progress on stderr: a bar on a terminal, else a plain line every
            ``log_every`` steps (logs, CI, cluster jobs).
        ddp_find_unused: DistributedDataParallel ``find_unused_parameters``; on by default
            so that heads a method skips on some steps (SAR without MIAL) work; false
            saves a graph walk per step when every parameter is always used.
        sync_bn: Under DistributedDataParallel on CUDA, turn the network's BatchNorm
            layers into SyncBatchNorm so their statistics cover the global batch (the
            small per-GPU batches of 3D training make per-process statistics noisy).
            CPU runs (gloo) keep per-process BatchNorm: torch's SyncBatchNorm needs a GPU.
    """

    method: str = ""
    method_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    model: str = "unet3d"
    model_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    data: list[str] = dataclasses.field(default_factory=list)
    out: str = "runs/pretrain"
    steps: int = 1000
    batch_size: int = 2
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False
    schedule: str = "constant"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0
    plateau_patience: int = 10
    plateau_factor: float = 0.5
    grad_clip: float = 0.0
    precision: str = "auto"
    channels_last: bool | None = None
    device: str = "auto"
    num_workers: int = 2
    prefetch_factor: int = 2
    seed: int = 0
    deterministic: bool = False
    ckpt_every: int = 500
    log_every: int = 10
    val_every: int = 0
    resume: bool = False
    init: str = ""
    force: bool = False
    progress: bool = True
    ddp_find_unused: bool = True
    sync_bn: bool = True

    def check(self) -> TrainConfig:
        """Check every value; return ``self``.

        Raises:
            MedsslError: On the first bad value, naming the key and the rule.
        """
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("precision", self.precision, PRECISIONS)
        _choice("device", self.device, DEVICES)
        _at_least("steps", self.steps, 1)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("log_every", self.log_every, 1)
        _at_least("prefetch_factor", self.prefetch_factor, 1)
        for key in (
            "warmup_steps",
            "num_workers",
            "ckpt_every",
            "val_every",
            "seed",
            "plateau_patience",
        ):
            _at_least(key, getattr(self, key), 0)
        for key in ("weight_decay", "grad_clip", "min_lr_ratio"):
            _at_least(key, getattr(self, key), 0.0)
        if self.init and not Path(self.init).is_file():
            raise MedsslError(f"init must be a weights file; {self.init} is not one")
        if not self.lr > 0 or self.lr != self.lr or self.lr == float("inf"):
            raise MedsslError(f"lr must be a positive finite number; got {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise MedsslError(f"momentum must be in [0, 1); got {self.momentum}")
        if not 0.0 < self.plateau_factor < 1.0:
            raise MedsslError(f"plateau_factor must be in (0, 1); got {self.plateau_factor}")
        if self.min_lr_ratio > 1.0:
            raise MedsslError(f"min_lr_ratio must be in [0, 1]; got {self.min_lr_ratio}")
        if self.warmup_steps >= self.steps and self.warmup_steps > 0:
            raise MedsslError(
                f"warmup_steps must be smaller than steps ({self.steps}); got {self.warmup_steps}"
            )
        if self.force and not self.resume:
            raise MedsslError(
                "force only applies to a resumed run (--resume --force); it never "
                "overwrites an existing run folder"
            )
        if not self.method:
            raise MedsslError("method must be set (e.g. --method genesis)")
        return self


def _choice(key: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise MedsslError(f"unknown {key} '{value}'; valid: {', '.join(valid)}")


def _at_least(key: str, value: float, low: float) -> None:
    if value < low:
        raise MedsslError(f"{key} must be >= {low}; got {value}")


def config_from_dict(cls: type[C], data: Mapping[str, Any], *, source: str = "config") -> C:
    """Build dataclass ``cls`` from a mapping, checking keys and value types.

    Args:
        cls: A dataclass type such as :class:`TrainConfig`.
        data: Field values; missing fields keep their defaults.
        source: Where the values came from, for error messages.

    Returns:
        The dataclass instance.

    Raises:
        MedsslError: On an unknown key (valid keys are listed) or a value of the wrong type.
    """
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {}
    for key, value in data.items():
        if key not in hints or key not in names:
            raise MedsslError(f"unknown key '{key}' in {source}; valid keys: {', '.join(names)}")
        values[key] = _coerce(value, hints[key], key, source)
    return cls(**values)


def _coerce(value: Any, tp: Any, key: str, source: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, source)
    bad = MedsslError(f"{key} in {source} must be {_type_name(tp)}; got {value!r}")
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise bad
    if tp is int:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise bad from None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        raise bad
    if tp is float:
        if isinstance(value, bool):
            raise bad
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad from None
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad
    if origin is dict or tp is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise bad
    if origin is list or tp is list:
        if isinstance(value, (str, Path)):
            return [str(value)]
        if isinstance(value, Sequence):
            return [str(v) if args and args[0] is str else v for v in value]
        raise bad
    return value


def _type_name(tp: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "text"}
    if tp in names:
        return names[tp]
    return "a mapping" if typing.get_origin(tp) is dict else "a list"


def parse_overrides(items: Sequence[str], *, source: str = "--set") -> dict[str, Any]:
    """Parse ``key=value`` strings; values are read as YAML (``[1,2]``, ``true``, ``1e-3``).

    Raises:
        MedsslError: If an item has no ``=`` or an empty key.
    """
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise MedsslError(f"{source} expects key=value; got '{item}'")
        try:
            out[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = text
    return out


def _merge(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Set ``overrides`` into ``data``; a dotted key ``a.b`` sets key ``b`` of dict ``a``."""
    for key, value in overrides.items():
        head, dot, rest = key.partition(".")
        if not dot:
            data[key] = value
            continue
        inner = data.setdefault(head, {})
        if not isinstance(inner, dict):
            raise MedsslError(f"{source}: '{head}' is not a mapping, so '{key}' cannot be set")
        _merge(inner, {rest: value}, source)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The ``key: value`` mapping of a YAML config file (empty file: empty mapping).

    ``path`` may also name a shipped preset (:func:`medssl.configs.resolve_config`).

    Raises:
        MedsslError: If the file is missing, unreadable, not valid YAML, or not a mapping.
    """
    import yaml

    from medssl.configs import resolve_config

    path = resolve_config(path)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise MedsslError(f"config file {path} is not a text (YAML) file") from None
    except OSError as exc:
        raise MedsslError(f"cannot read config file {path} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise MedsslError(
            f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from None
    if loaded is not None and not isinstance(loaded, dict):
        raise MedsslError(f"config file {path} must hold a mapping of key: value pairs")
    return dict(loaded or {})


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Sequence[str] = (),
    *,
    cls: type[C] = TrainConfig,  # type: ignore[assignment]
) -> C:
    """Read a YAML config (optional), apply overrides, check types and values.

    Args:
        path: YAML file of ``key: value`` pairs, or None for the defaults.
        overrides: A mapping, or ``key=value`` strings; they win over the file.
        cls: The config dataclass to build.

    Returns:
        The resolved config (its ``check()`` has passed when it has one).

    Raises:
        MedsslError: If the file is missing or not a YAML mapping, a key is unknown,
            or a value is of the wrong type or out of range.
    """
    data: dict[str, Any] = {}
    source = "overrides"
    if path is not None:
        source = str(path)
        data = read_config_file(path)
    if not isinstance(overrides, Mapping):
        overrides = parse_overrides(list(overrides))
    _merge(data, overrides, "overrides")
    cfg = config_from_dict(cls, data, source=source)
    check = getattr(cfg, "check", None)
    return check() if callable(check) else cfg


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Plain-data view of a config dataclass (for YAML and checkpoints)."""
    return dataclasses.asdict(cfg)


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML, atomically; return the path."""
    import yaml

    from medssl.io.atomic import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(config_to_dict(cfg), sort_keys=False))
    return Path(path)

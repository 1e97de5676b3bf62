"""What ``--resume`` may change, and how the run folder records a resumed run.

A run is defined by its settings: the seed, the learning rate and its schedule, the
optimizer, the batch size, the precision, the method and its options, the network, the
data (the config's data specs *and* the list of files they resolved to) and, for
fine-tuning, the labels, preprocessing, patch and pretrained weights. ``--resume``
refuses to continue a checkpoint with other values unless ``--force`` is given, and the
message names every differing key with its old and new value.

Settings that do not change what is learned may differ freely: :data:`OPERATIONAL`
(where the run lives, how often it logs and saves, how many loader workers, the
device, and ``steps``, so that a finished run can be extended).

``RUN/config.yaml`` always describes the run as it was started. A resumed run whose
settings differ from it (a longer ``steps``, or anything with ``--force``) is recorded
beside it as ``config.resumed-<n>.yaml``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medssl.config import TrainConfig, config_to_dict, read_config_file
from medssl.errors import MedsslError

OPERATIONAL = frozenset(
    {
        "out",
        "resume",
        "force",
        "steps",
        "progress",
        "log_every",
        "ckpt_every",
        "val_every",
        "num_workers",
        "prefetch_factor",
        "device",
        "deterministic",
        "channels_last",
        "ddp_find_unused",
        "cache",
    }
)
_NOT_RECORDED = ("resume", "force")
_DEFAULTS = {
    f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    for f in dataclasses.fields(TrainConfig)
}


def record_paths(records: Sequence[Any]) -> list[str]:
    """The image path of every training record, in order (the run's data list)."""
    paths = []
    for record in records:
        image = record.get("image") if isinstance(record, Mapping) else None
        image = getattr(record, "image", image)
        paths.append(str(image if image is not None else record))
    return paths


def run_config(cfg: TrainConfig, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The run's settings as plain data: the training keys plus the command's own."""
    import yaml

    merged = {**config_to_dict(cfg), **dict(settings or {})}
    return yaml.safe_load(yaml.safe_dump(merged, sort_keys=False))


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _data_change(old: list[str], new: list[str]) -> str:
    added = [Path(p).name for p in new if p not in set(old)]
    removed = [Path(p).name for p in old if p not in set(new)]
    detail = [
        f"{what} {', '.join(names[:2])}"
        for what, names in (("added", added), ("removed", removed))
        if names
    ]
    return f"data files {len(old)} -> {len(new)} ({'; '.join(detail) or 'same files in another order'})"


def differences(
    saved: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    saved_files: Sequence[str] | None = None,
    current_files: Sequence[str] | None = None,
) -> list[str]:
    """Every run-defining key whose value changed, as ``key OLD -> NEW`` texts.

    Args:
        saved: Settings stored in the checkpoint.
        current: Settings of this invocation.
        saved_files: Data list stored in the checkpoint (None: not compared).
        current_files: Data list of this invocation.

    Returns:
        One text per differing key (sorted by key), empty when the runs agree.
    """
    out = []
    for key in sorted((set(saved) | set(current)) - OPERATIONAL):
        old, new = saved.get(key, _DEFAULTS.get(key)), current.get(key, _DEFAULTS.get(key))
        if old != new:
            out.append(f"{key} {_short(old)} -> {_short(new)}")
    known = saved_files is not None and current_files is not None
    if known and list(saved_files) != list(current_files):
        out.append(_data_change(list(saved_files), list(current_files)))
    return out


def check_resume(
    state: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    data_files: Sequence[str],
    path: str | Path,
    force: bool,
) -> list[str]:
    """Refuse to continue checkpoint ``state`` with other run-defining settings.

    Args:
        state: The checkpoint (its ``config``, ``settings`` and ``data_files``).
        current: :func:`run_config` of this invocation.
        data_files: :func:`record_paths` of this invocation.
        path: The checkpoint file (named in the message).
        force: Continue anyway.

    Returns:
        The differences (accepted when ``force`` is set).

    Raises:
        MedsslError: If a setting differs and ``force`` is not set.
    """
    saved = {**dict(state.get("config") or {}), **dict(state.get("settings") or {})}
    diffs = differences(
        saved, current, saved_files=state.get("data_files"), current_files=data_files
    )
    if diffs and not force:
        raise MedsslError(
            f"--resume refused: this run's settings differ from those of checkpoint {path}: "
            f"{'; '.join(diffs)}; pass --force to continue with the new settings"
        )
    return diffs


def check_resume_file(
    cfg: TrainConfig,
    *,
    records: Sequence[Any],
    settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """:func:`check_resume` against ``OUT/checkpoints/last.pt``, before any data is read.

    The checkpoint is memory-mapped, so only its small entries are read.

    Raises:
        MedsslError: A missing, corrupt or foreign checkpoint, or changed settings
            without ``cfg.force``.
    """
    from medssl.engine.checkpoint import load_checkpoint

    path = Path(cfg.out) / "checkpoints" / "last.pt"
    state = load_checkpoint(
        path, method=cfg.method, model=cfg.model, model_kwargs=dict(cfg.model_kwargs), mmap=True
    )
    current = run_config(cfg, settings)
    return check_resume(
        state, current, data_files=record_paths(records), path=path, force=cfg.force
    )


def _comparable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _NOT_RECORDED}


def write_run_config(
    run_dir: str | Path, current: Mapping[str, Any], *, saved: Mapping[str, Any] | None
) -> Path | None:
    """Write ``config.yaml`` for a new run; keep it and add a new file for a resumed one.

    Args:
        run_dir: The run folder.
        current: :func:`run_config` of this invocation.
        saved: The settings the checkpoint holds when resuming, None for a new run.

    Returns:
        The file written, or None when ``config.yaml`` already describes this run.
    """
    import yaml

    from medssl.io.atomic import atomic_write_text

    run_dir = Path(run_dir)
    first = run_dir / "config.yaml"
    if saved is None or not first.is_file():
        atomic_write_text(first, yaml.safe_dump(dict(saved or current), sort_keys=False))
        if saved is None:
            return first
    if _comparable(read_config_file(first)) == _comparable(current):
        return None
    n = 1
    while (run_dir / f"config.resumed-{n}.yaml").exists():
        n += 1
    path = run_dir / f"config.resumed-{n}.yaml"
    atomic_write_text(path, yaml.safe_dump(dict(current), sort_keys=False))
    return path

"""Training checkpoints: written atomically, read back with clear errors.

A checkpoint is a dict with ``format`` (:data:`FORMAT`), the method and model names, the
model's constructor arguments, the run config, the step and epoch, and the states of
the model, every optimizer and schedule, and every rank's RNGs. Writing goes to a
temporary file in the same folder and is renamed into place, so a crash never leaves a
half-written ``last.pt``; a write that fails (a full disk) leaves the previous file
in place and becomes a one-line :class:`MedsslError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from medssl.engine.run_dir import writing
from medssl.errors import MedsslError
from medssl.io.atomic import atomic_path

FORMAT = "medssl-train-checkpoint/1"


def save_checkpoint(state: dict[str, Any], path: str | Path, *, note: str = "") -> Path:
    """Write ``state`` (with the format tag) to ``path`` atomically; return the path.

    Args:
        state: The checkpoint content.
        path: Target file; it is replaced only once the new file is complete.
        note: Appended to the error message when the write fails.

    Raises:
        MedsslError: If the file cannot be written (``path`` is then unchanged).
    """
    path = Path(path)
    with writing(path, note=note), atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
    return path


def load_checkpoint(
    path: str | Path,
    *,
    method: str | None = None,
    model: str | None = None,
    model_kwargs: dict[str, Any] | None = None,
    mmap: bool = False,
) -> dict[str, Any]:
    """Read a checkpoint and check that it belongs to this run's method and network.

    Args:
        path: The ``.pt`` file.
        method: Expected method name (None: not checked).
        model: Expected model name (None: not checked).
        model_kwargs: Expected model arguments (None: not checked).
        mmap: Map the tensors from the file instead of reading them.

    Returns:
        The checkpoint dict.

    Raises:
        MedsslError: If the file is missing, unreadable or corrupt, not a medssl training
            checkpoint, or written for another method or network.
    """
    path = Path(path)
    if not path.is_file():
        raise MedsslError(f"no checkpoint to resume from: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False, mmap=mmap)
    except Exception as exc:  # noqa: BLE001 - zip, unpickling and EOF errors mean the same
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MedsslError(f"checkpoint {path} is corrupt or unreadable: {first}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise MedsslError(f"{path} is not a medssl training checkpoint ({FORMAT})")
    for key, expected in (("method", method), ("model", model), ("model_kwargs", model_kwargs)):
        if expected is not None and state.get(key) != expected:
            raise MedsslError(
                f"checkpoint {path} was written for {key} {state.get(key)!r}, "
                f"but this run uses {expected!r}"
            )
    return state


def load_model_state(model: torch.nn.Module, state_dict: dict[str, Any], path: str | Path) -> None:
    """Load weights strictly; a mismatch becomes a one-line :class:`MedsslError`."""
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        missing = sorted(set(model.state_dict()) - set(state_dict))[:3]
        extra = sorted(set(state_dict) - set(model.state_dict()))[:3]
        detail = (
            f"missing {missing}, unexpected {extra}"
            if missing or extra
            else str(exc).splitlines()[1].strip()
            if len(str(exc).splitlines()) > 1
            else str(exc)
        )
        raise MedsslError(
            f"checkpoint {path} does not fit this network's architecture: {detail}"
        ) from None


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a DistributedDataParallel (or the model itself)."""
    return getattr(model, "module", model)

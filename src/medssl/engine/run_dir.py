"""The run folder, checked before any data is read, and write errors as one line.

:func:`check_run_dir` answers, before a command spends minutes reading and
preprocessing data, the questions that would otherwise end a run at its first write:
is ``--out`` a folder (or creatable as one), can files be written there, and does it
hold a checkpoint exactly when ``--resume`` asks for one. Nothing is created: the probe
file is written in the nearest existing folder and removed at once.

:func:`writing` turns an :class:`OSError` raised while writing an output (a full disk,
a file system remounted read-only, a quota) into a :class:`MedsslError` naming the
file and the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from medssl.errors import MedsslError
from medssl.io.atomic import check_writable_folder

CHECKPOINT = Path("checkpoints") / "last.pt"

__all__ = ["CHECKPOINT", "check_run_dir", "check_writable_folder", "writing"]


def check_run_dir(out: str | Path, *, resume: bool) -> Path:
    """Check a training run folder before any data is read.

    Args:
        out: The run folder (``--out``).
        resume: Whether the run continues ``OUT/checkpoints/last.pt``.

    Returns:
        ``out`` as a path.

    Raises:
        MedsslError: If ``out`` is a file or not writable, if ``resume`` is set and there
            is no checkpoint, or if it is not set and the folder already holds one.
    """
    out = check_writable_folder(out, what="run folder (--out)")
    last = out / CHECKPOINT
    if resume and not last.is_file():
        raise MedsslError(f"no checkpoint to resume from: {last} does not exist")
    if not resume and last.is_file():
        raise MedsslError(
            f"run folder {out} already holds {last.name}; pass --resume to "
            "continue it, or choose another --out"
        )
    if last.is_file():
        check_writable_folder(last.parent, what="checkpoint folder")
    return out


@contextlib.contextmanager
def writing(path: str | Path, *, note: str = "") -> Iterator[None]:
    """Turn an :class:`OSError` raised inside the block into a one-line error.

    Args:
        path: The file being written (named in the message).
        note: Text appended to the message, e.g. which checkpoint is kept.

    Raises:
        MedsslError: ``cannot write PATH: REASON[; NOTE]``.
    """
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        tail = f"; {note}" if note else ""
        raise MedsslError(f"cannot write {path}: {reason}{tail}") from None

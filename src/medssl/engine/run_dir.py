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
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from medssl.errors import MedsslError

CHECKPOINT = Path("checkpoints") / "last.pt"


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_writable_folder(folder: str | Path, *, what: str = "output folder") -> Path:
    """Check that ``folder`` is, or can be created as, a folder where files can be written.

    Args:
        folder: The folder to check; it is not created.
        what: How the folder is named in error messages.

    Returns:
        ``folder`` as a path.

    Raises:
        MedsslError: If it is an existing file, sits below a file, or its nearest
            existing folder refuses a new file (read-only file system, permissions, a
            full disk).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise MedsslError(f"{what} {folder} is an existing file; it must be a folder")
    existing = _nearest_existing(folder.absolute())
    if not existing.is_dir():
        raise MedsslError(f"{what} {folder} cannot be created: {existing} is a file")
    try:
        fd, probe = tempfile.mkstemp(prefix=".medssl-write-test-", dir=existing)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MedsslError(f"{what} {folder} is not writable: {reason} ({existing})") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return folder


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

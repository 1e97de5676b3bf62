"""Atomic file output: write to a temporary name in the target folder, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from medssl.errors import MedsslError

_DOUBLE_SUFFIXES = (".nii.gz", ".tar.gz")


def full_suffix(path: str | Path) -> str:
    """File extension including double ones such as ``.nii.gz`` (lower case)."""
    name = Path(path).name.lower()
    for suffix in _DOUBLE_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return Path(name).suffix


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


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create ``folder`` if needed and check that files can be written there.

    Raises:
        MedsslError: If it is a file, or cannot be created or written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise MedsslError(f"output folder {folder} is an existing file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MedsslError(f"cannot create output folder {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MedsslError(f"output folder {folder} is not writable")
    return folder


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary name keeps the file's extension (writers pick the format from it).
    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    ensure_writable_dir(path.parent if str(path.parent) else Path("."))
    suffix = full_suffix(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates files 0600; give outputs the usual permissions (0666 minus umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")

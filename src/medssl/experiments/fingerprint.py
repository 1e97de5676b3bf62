"""Content digests of the files a cell depends on: weights and every case's files.

A finished cell is keyed by what it was computed from, not by where those files lie:
moving or renaming an encoder or a data folder keeps the cell; rewriting a file in
place (a retrained encoder at the same path, a corrected label) changes its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from medssl.errors import MedsslError
from medssl.io.dicom_mask import SPEC_SEPARATOR

_CHUNK = 1 << 20
_MEMO: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """sha256 of one file's bytes, remembered per (path, size, mtime) within a process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _MEMO:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                h.update(chunk)
        _MEMO[key] = h.hexdigest()
    return _MEMO[key]


def content_digest(path: str | Path | None) -> str | None:
    """Short sha256 of a file's bytes, or of a folder's files (names and bytes, sorted).

    A folder (a DICOM series) is hashed over its files' relative names and contents, so
    the digest does not depend on where the folder lies. A DICOM mask spec
    ``PATH::name=value,...`` is hashed over the bytes under ``PATH`` and its mapping.

    Args:
        path: A file, a folder, or None.

    Returns:
        16 hex digits, or None for None.

    Raises:
        MedsslError: If the path does not exist or cannot be read.
    """
    if path is None:
        return None
    text = str(path)
    if SPEC_SEPARATOR in text:
        source, _, mapping = text.rpartition(SPEC_SEPARATOR)
        inner = content_digest(source)
        return hashlib.sha256(f"{inner}{SPEC_SEPARATOR}{mapping}".encode()).hexdigest()[:16]
    path = Path(path)
    try:
        if path.is_dir():
            h = hashlib.sha256()
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                h.update(f.relative_to(path).as_posix().encode() + b"\0")
                h.update(_file_digest(f).encode())
            return h.hexdigest()[:16]
        return _file_digest(path)[:16]
    except OSError as exc:
        raise MedsslError(f"cannot read {path} to fingerprint it ({exc.strerror})") from None


def records_digest(records: Iterable) -> list[dict[str, str | None]]:
    """One ``{id, image, label, roi}`` digest entry per record, in order."""
    return [
        {
            "id": r.id,
            "image": content_digest(r.image),
            "label": content_digest(r.label),
            "roi": content_digest(r.roi),
        }
        for r in records
    ]

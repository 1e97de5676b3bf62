"""On-disk cache of preprocessed samples, so training never decodes NIfTI twice.

Layout: ``ROOT/ab/abcdef.../{image.npy, label.npy, roi.npy, meta.json}``. The key is a
hash of each input file's absolute path, size and modification time, the channel,
and the pipeline's config hash, so editing a file or a pipeline option makes a new
entry. Arrays are plain ``.npy`` files, opened memory-mapped (read-only) by default.
An entry is written in a temporary folder beside its final place and renamed into
place when complete, so readers never see half an entry and concurrent writers of
the same entry are harmless (the first rename wins).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io import ensure_writable_dir, read_geometry, read_image, read_label
from medssl.preprocess.pipeline import Pipeline
from medssl.preprocess.sample import Sample

_ARRAYS = ("image", "label", "roi")
_FORMAT = 1


def default_cache_root() -> Path:
    """``$MEDSSL_CACHE`` if set, else ``.medssl_cache`` in the current folder."""
    return Path(os.environ.get("MEDSSL_CACHE") or ".medssl_cache")


def _file_identity(path: str | Path | None) -> list | None:
    """Absolute path, size and mtime of a file (or of every file in a DICOM folder)."""
    if path is None:
        return None
    if "::" in str(path):  # a DICOM mask structure spec: PATH::name=value,...
        base, _, mapping = str(path).rpartition("::")
        return [_file_identity(base), mapping]
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise MedsslError(f"file not found: {path}") from None
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return [
            str(path.resolve()),
            [[str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns] for p in files],
        ]
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


class PreprocessCache:
    """Preprocessed :class:`Sample` objects stored on disk, keyed by inputs and pipeline.

    Args:
        root: Cache folder; default :func:`default_cache_root`.
        mmap: Open cached arrays memory-mapped and read-only (fast, shared between
            DataLoader workers); ``False`` loads them into memory.
    """

    def __init__(self, root: str | Path | None = None, *, mmap: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_root()
        self.mmap = mmap

    def key(
        self,
        image_path: str | Path,
        pipeline: Pipeline,
        label_path: str | Path | None = None,
        roi_path: str | Path | None = None,
        *,
        channel: int | None = None,
        series: str | None = None,
    ) -> str:
        """The entry's key: a hash of the input files' identity and the pipeline config."""
        ident = {
            "format": _FORMAT,
            "image": _file_identity(image_path),
            "label": _file_identity(label_path),
            "roi": _file_identity(roi_path),
            "channel": channel,
            "pipeline": pipeline.config_hash(),
        }
        if series is not None:
            ident["series"] = series
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:32]

    def entry_dir(self, key: str) -> Path:
        """Folder that holds (or will hold) the entry ``key``."""
        return self.root / key[:2] / key

    def get(
        self,
        image_path: str | Path,
        pipeline: Pipeline,
        label_path: str | Path | None = None,
        roi_path: str | Path | None = None,
        *,
        channel: int | None = None,
        series: str | None = None,
    ) -> Sample:
        """Return the preprocessed sample, from the cache or computed and stored.

        Args:
            image_path: The image file (or DICOM folder).
            pipeline: The preprocessing to apply.
            label_path: Its label map, or ``None``.
            roi_path: An ROI mask/label map for the pipeline, or ``None``.
            channel: Channel to take from a 4D image.
            series: The series to read from a DICOM folder holding several.

        Raises:
            MedsslError: Missing or bad input files, a step's check, or an unwritable
                cache folder.
        """
        key = self.key(image_path, pipeline, label_path, roi_path, channel=channel, series=series)
        cached = self.load(key)
        if cached is not None:
            return cached
        arrays = 1 + (label_path is not None) + (roi_path is not None)
        pipeline.check_size(read_geometry(image_path, series=series), arrays=arrays)
        image = read_image(image_path, channel=channel, series=series)
        near = {"reference": image_path, "reference_series": series}
        label = None if label_path is None else read_label(label_path, **near)
        roi = None if roi_path is None else read_label(roi_path, **near)
        sample = pipeline.apply(image, label=label, roi=roi)
        self.store(key, sample, config=pipeline.to_config())
        return sample

    def load(self, key: str) -> Sample | None:
        """The cached sample for ``key``, or ``None`` when absent or unreadable."""
        folder = self.entry_dir(key)
        meta_path = folder / "meta.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            arrays = {
                name: np.load(folder / f"{name}.npy", mmap_mode="r" if self.mmap else None)
                if meta["arrays"][name]
                else None
                for name in _ARRAYS
            }
        except (OSError, ValueError, KeyError):
            shutil.rmtree(folder, ignore_errors=True)  # damaged entry: rebuild it
            return None
        return Sample(
            image=arrays["image"],
            label=arrays["label"],
            roi=arrays["roi"],
            spacing=tuple(meta["spacing"]),
            record=meta["record"],
            affine=np.asarray(meta["affine"]),
        )

    def store(self, key: str, sample: Sample, *, config: dict | None = None) -> Path:
        """Write ``sample`` under ``key`` atomically; return the entry folder."""
        final = self.entry_dir(key)
        ensure_writable_dir(final.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=final.parent))
        try:
            present = {}
            for name in _ARRAYS:
                array = getattr(sample, name)
                present[name] = array is not None
                if array is not None:
                    np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
            meta = {
                "format": _FORMAT,
                "arrays": present,
                "spacing": list(sample.spacing),
                "affine": np.asarray(sample.affine).tolist(),
                "record": sample.record,
                "pipeline": config,
            }
            (tmp / "meta.json").write_text(json.dumps(meta))
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "meta.json").is_file():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # another writer finished first
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise MedsslError(f"cannot write cache entry in {final.parent}: {exc}") from None
        return final

    def clear(self) -> int:
        """Delete every entry; return how many were removed."""
        if not self.root.is_dir():
            return 0
        count = 0
        for shard in self.root.iterdir():
            if shard.is_dir() and len(shard.name) == 2:
                for entry in shard.iterdir():
                    shutil.rmtree(entry, ignore_errors=True)
                    count += 1
                shutil.rmtree(shard, ignore_errors=True)
        return count

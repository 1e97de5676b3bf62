"""Volumes for the restoration and pretext methods: records → [0, 1] arrays + modality.

Every method of this family (genesis, sar, rotation, jigsaw, rpl) reads its training
volumes the same way:

1. each record goes once, up front, through a preprocessing preset (reorient, crop,
   intensities, resample, fit the grid) and the on-disk
   :class:`~medssl.preprocess.PreprocessCache`, so training never decodes NIfTI;
2. intensities are mapped to [0, 1] (the Models Genesis transforms assume it): CT
   presets already give [0, 1]; z-scored MRI is clipped to its 0.5-99.5 percentiles
   and rescaled;
3. DataLoader workers read the cached arrays memory-mapped, through a picklable loader.

``preset: none`` skips step 1: the image is read with :mod:`medssl.io` and normalised
simply (CT: HU window [-1000, 1000] → [0, 1], as in Models Genesis; other modalities:
percentile rescaling), kept in memory.

The record's free-text modality ("CT", "FLAIR", "T1c", "MRI"...) becomes ``"ct"`` or
``"mr"`` (:func:`modality_name`); it picks the ``auto`` preset and labels SAR's
adversary.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from medssl.errors import MedsslError

#: Length given to the view dataset behind an endless stream (never reached).
ENDLESS = 2**62
_CT_NAMES = ("ct", "cta", "cect", "nect", "pet-ct", "petct")


def modality_name(text: str | None) -> str | None:
    """``"ct"`` for CT names, ``"mr"`` for any other named modality, None when unnamed.

    Example:
        >>> modality_name("CT"), modality_name("FLAIR"), modality_name(None)
        ('ct', 'mr', None)
    """
    if text is None or not str(text).strip():
        return None
    key = str(text).strip().lower()
    return "ct" if key in _CT_NAMES or key.startswith("ct") else "mr"


@dataclass(frozen=True)
class VolumeOptions:
    """How records become training volumes.

    Attributes:
        preset: A preprocessing preset name (``ct``, ``mri``, ``brain_flair``...),
            ``auto`` (``ct`` for CT records, ``mri`` otherwise) or ``none`` (read the
            file as it is, no resampling).
        target_spacing: Voxel size in mm after resampling (presets only).
        grid: Side (or three sides) of the preprocessed grid (presets only).
        cache: Cache folder; None for ``$MEDSSL_CACHE`` or ``.medssl_cache``.
    """

    preset: str = "auto"
    target_spacing: float | tuple[float, float, float] = 1.5
    grid: int | tuple[int, int, int] = 96
    cache: str | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> VolumeOptions:
        """Build from a config mapping (``method_options.preprocess``).

        Raises:
            MedsslError: On an unknown key, naming the valid ones.
        """
        options = dict(options or {})
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise MedsslError(
                f"unknown preprocess option '{unknown[0]}'; valid: {', '.join(valid)}"
            )
        for key in ("target_spacing", "grid"):
            if isinstance(options.get(key), list):
                options[key] = tuple(options[key])
        return cls(**options)


@dataclass(frozen=True)
class Volumes:
    """The training volumes of a run.

    Attributes:
        loader: ``loader(index)`` → float32 (X, Y, Z) in [0, 1]; picklable.
        n_volumes: Number of volumes.
        modalities: ``"ct"``, ``"mr"`` or None per volume.
        ids: The records' ids.
    """

    loader: Callable[[int], np.ndarray]
    n_volumes: int
    modalities: list[str | None]
    ids: list[str]


class CachedVolumes:
    """Picklable loader of cached, preprocessed images rescaled to [0, 1].

    Args:
        paths: The cached ``image.npy`` of each volume.
        ranges: ``(low, high)`` intensities mapped to 0 and 1, per volume.
    """

    def __init__(self, paths: Sequence[Path], ranges: Sequence[tuple[float, float]]) -> None:
        self.paths = [Path(p) for p in paths]
        self.ranges = [(float(lo), float(hi)) for lo, hi in ranges]

    def __call__(self, index: int) -> np.ndarray:
        array = np.load(self.paths[index], mmap_mode="r")
        return to_unit_range(array, *self.ranges[index])


class InMemoryVolumes:
    """Picklable loader of volumes already in memory (the ``preset: none`` path)."""

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self.arrays = list(arrays)

    def __call__(self, index: int) -> np.ndarray:
        return self.arrays[index]


def to_unit_range(array: np.ndarray, low: float, high: float) -> np.ndarray:
    """``clip((array - low) / (high - low), 0, 1)`` as a new float32 array (0 if flat)."""
    out = np.asarray(array, dtype=np.float32)
    if high <= low:
        return np.zeros(out.shape, np.float32)
    return np.clip((out - np.float32(low)) / np.float32(high - low), 0.0, 1.0, dtype=np.float32)


def intensity_range(array: np.ndarray, *, modality: str | None, preset: str) -> tuple[float, float]:
    """The intensities mapped to 0 and 1.

    CT presets already give [0, 1]; raw CT (``preset: none``) uses the Models Genesis
    window [-1000, 1000] HU; anything else its 0.5 and 99.5 percentiles.
    """
    if modality == "ct" and preset == "none":
        return -1000.0, 1000.0
    if modality == "ct" and preset.startswith("ct"):
        return 0.0, 1.0
    low, high = np.percentile(np.asarray(array, dtype=np.float32), (0.5, 99.5))
    return float(low), float(high)


def load_volumes(records: Sequence[Any], options: VolumeOptions) -> Volumes:
    """Preprocess (through the cache) every record and return a loader of [0, 1] volumes.

    Args:
        records: :class:`medssl.data.Record` objects (``image``, ``roi``, ``modality``).
        options: Preset, spacing, grid and cache folder.

    Returns:
        The :class:`Volumes`.

    Raises:
        MedsslError: If there is no record, or reading or preprocessing one fails.
    """
    records = list(records)
    if not records:
        raise MedsslError("no training records: give image files, a folder, a CSV or dataset.json")
    modalities = [modality_name(getattr(r, "modality", None)) for r in records]
    ids = [str(getattr(r, "id", i)) for i, r in enumerate(records)]
    if options.preset == "none":
        from medssl.io import read_geometry, read_image
        from medssl.preprocess import Pipeline

        arrays = []
        for record, modality in zip(records, modalities):
            series = getattr(record, "series", None)
            Pipeline([]).check_size(read_geometry(record.image, series=series))
            image = read_image(record.image, series=series).array
            arrays.append(
                to_unit_range(image, *intensity_range(image, modality=modality, preset="none"))
            )
        return Volumes(InMemoryVolumes(arrays), len(arrays), modalities, ids)
    from medssl.preprocess import PreprocessCache, preset

    if options.preset == "auto" and None in modalities:
        warnings.warn(
            f"{modalities.count(None)} of {len(records)} records name no modality; "
            "preprocessing them as MRI (z-score); pass --modality CT for CT scans",
            stacklevel=2,
        )
    cache = PreprocessCache(options.cache)
    paths, ranges = [], []
    for record, modality in zip(records, modalities):
        name = options.preset if options.preset != "auto" else ("ct" if modality == "ct" else "mri")
        pipeline = preset(name, target_spacing=options.target_spacing, grid=options.grid)
        roi = getattr(record, "roi", None)
        series = getattr(record, "series", None)
        sample = cache.get(record.image, pipeline, roi_path=roi, series=series)
        key = cache.key(record.image, pipeline, None, roi, series=series)
        paths.append(cache.entry_dir(key) / "image.npy")
        ranges.append(intensity_range(sample.image, modality=modality, preset=name))
    return Volumes(CachedVolumes(paths, ranges), len(paths), modalities, ids)


class SampleStream(Dataset):
    """An endless map-style dataset: item ``i`` is item ``i`` of a huge view dataset.

    It has no ``__len__``, so the engine reads index = global sample position and every
    step sees new samples, each re-made from ``(seed, i)``.
    """

    def __init__(self, views: Dataset) -> None:
        self.views = views

    def __getitem__(self, index: int) -> Any:
        return self.views[index]


def make_views(
    factory: Callable[..., Dataset],
    volumes: Volumes,
    *,
    seed: int,
    length: int | None,
    config: Any,
    modalities: Sequence[str] | None = None,
) -> Dataset:
    """Call a ``make_*_dataset`` factory on ``volumes``: endless when ``length`` is None.

    Args:
        factory: E.g. :func:`medssl.views.make_genesis_dataset`.
        volumes: From :func:`load_volumes`.
        seed: The dataset seed given by the engine.
        length: Items per epoch, or None for an endless stream of new samples.
        config: The view's config.
        modalities: ``"ct"``/``"mr"`` per volume, to add ``"modality"`` to items.
    """
    views = factory(
        volumes.loader,
        seed=seed,
        length=length or ENDLESS,
        config=config,
        modalities=modalities,
        n_volumes=volumes.n_volumes,
    )
    return views if length else SampleStream(views)


def held_out_batches(dataset: Dataset, *, batch_size: int, like: Any) -> list[dict[str, Any]]:
    """Every item of a (small, finite) dataset, collated into batches for ``like``'s device.

    5-D float tensors take ``like``'s memory format (channels_last_3d when its first
    5-D parameter has it), as the engine does for training batches.
    """
    import torch
    from torch.utils.data import default_collate

    device = next(like.parameters()).device
    channels_last = any(
        p.dim() == 5
        and p.is_contiguous(memory_format=torch.channels_last_3d)
        and not p.is_contiguous()
        for p in like.parameters()
    )
    batches = []
    for start in range(0, len(dataset), batch_size):
        batch = default_collate(
            [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
        )
        for key, value in batch.items():
            value = value.to(device)
            if channels_last and value.dim() == 5 and value.is_floating_point():
                value = value.contiguous(memory_format=torch.channels_last_3d)
            batch[key] = value
        batches.append(batch)
    return batches

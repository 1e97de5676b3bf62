"""One case of a dataset: an image, its optional label and ROI, and its modality."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from medssl.errors import MedsslError
from medssl.io import image_stem

_CHANNEL_SUFFIX = re.compile(r"_\d{4}$")


@dataclass(frozen=True)
class Record:
    """Paths of one case; nothing is read until it is used.

    Args:
        id: Unique case name within the dataset.
        image: The image file (or DICOM folder).
        label: Its label map, or ``None`` (unlabelled).
        roi: An ROI mask or label map (e.g. a brain mask or organ map), or ``None``.
        modality: Free text such as ``"CT"``, ``"FLAIR"`` or ``"MRI"``, or ``None``.
        series: The SeriesInstanceUID to read when ``image`` is a DICOM folder holding
            several series (``--series UID``), or ``None``.
    """

    id: str
    image: Path
    label: Path | None = None
    roi: Path | None = None
    modality: str | None = None
    series: str | None = None


def case_ids(images: list[Path]) -> list[str]:
    """The case id of each image: :func:`case_id`, or the image's folder name when
    several images share one file name (``case1/flair.nii.gz``, ``case2/flair.nii.gz``).
    """
    by_folder = len(images) > 1 and len({Path(p).name for p in images}) == 1
    return [Path(p).parent.name if by_folder else case_id(p) for p in images]


def with_series(records: list[Record], series: str | None) -> list[Record]:
    """``records`` whose DICOM-folder images read the series ``series`` (``--series UID``).

    Raises:
        MedsslError: ``series`` given while no image is a DICOM folder.
    """
    if series is None:
        return records
    if not any(Path(r.image).is_dir() for r in records):
        raise MedsslError(f"--series {series} applies only to DICOM folders; no image is one")
    return [replace(r, series=series) if Path(r.image).is_dir() else r for r in records]


def case_id(path: str | Path) -> str:
    """The case name of an image file: its stem without an nnU-Net ``_0000`` suffix."""
    return _CHANNEL_SUFFIX.sub("", image_stem(path))


def check_unique_ids(records: list[Record], *, source: str) -> list[Record]:
    """Return ``records`` unchanged, or raise if two share an id.

    Raises:
        MedsslError: Naming a duplicated id and ``source``.
    """
    counts = Counter(r.id for r in records)
    duplicated = sorted(name for name, n in counts.items() if n > 1)
    if duplicated:
        raise MedsslError(
            f"case ids must be unique; '{duplicated[0]}' appears {counts[duplicated[0]]} "
            f"times in {source}"
        )
    return records

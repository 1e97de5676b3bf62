"""DICOM series: find the series in a folder, check that their slices form a grid, read them.

A folder may hold several series (grouped by SeriesInstanceUID). :func:`list_series`
describes them; ``read_image(folder, series=UID)`` (``--series UID`` at the command
line) picks one, and a folder with several series and no choice is an error that
lists them. A series becomes a 3D volume only when its slices form one regular grid:

- every slice has the same ImageOrientationPatient, Rows, Columns and PixelSpacing,
  and none is a LOCALIZER (a scout slice inside a series breaks this);
- slices are sorted by ImagePositionPatient projected on the slice normal (row
  direction × column direction); the sorted positions must be distinct and evenly
  spaced (a missing slice breaks this), to :data:`SPACING_TOLERANCE`;
- the positions lie on one line along the normal: a gantry-tilted (sheared) series
  is refused, as its grid cannot be written as a NIfTI/ITK image without resampling;
- a series has at least two slices: one slice is not a 3D volume.

The pixels are decoded by SimpleITK's GDCM reader (any transfer syntax) in that
order; the grid comes from the headers (read with pydicom). Voxel axis i runs along
the row direction (DICOM column index), j along the column direction (row index), k
along the normal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io.geometry import LPS_TO_RAS

#: Sorted slice positions may differ from one uniform step by this much (mm) or by
#: 1 % of the step, whichever is larger.
SPACING_TOLERANCE = 0.01

_TAGS = [
    "SeriesInstanceUID",
    "SeriesDescription",
    "SeriesNumber",
    "Modality",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "Rows",
    "Columns",
    "ImageType",
    "NumberOfFrames",
    "InstanceNumber",
]


@dataclass(frozen=True)
class DicomSlice:
    """The header fields of one DICOM image that place it in space.

    Args:
        name: The file (or zip member) it came from, for messages and reading.
        uid: SeriesInstanceUID ("" when absent).
        description: SeriesDescription.
        position: ImagePositionPatient (LPS, mm), or ``None`` when absent.
        orientation: ImageOrientationPatient (row then column cosines), or ``None``.
        size: (Rows, Columns).
        pixel_spacing: PixelSpacing (between rows, between columns), or ``None``.
        image_type: ImageType values, upper case.
        frames: NumberOfFrames (1 for a single-frame image).
    """

    name: str
    uid: str
    description: str
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    size: tuple[int, int]
    pixel_spacing: tuple[float, float] | None
    image_type: tuple[str, ...]
    frames: int


@dataclass(frozen=True)
class SeriesInfo:
    """One series of a folder: UID, description and number of slices."""

    uid: str
    description: str
    count: int

    def __str__(self) -> str:
        uid = self.uid or "(no SeriesInstanceUID)"
        desc = f" '{self.description}'" if self.description else ""
        return f"{uid}{desc} ({self.count} slice{'s' if self.count != 1 else ''})"


def _floats(value, n: int) -> tuple[float, ...] | None:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return out if len(out) == n and all(np.isfinite(out)) else None


def slice_from_dataset(ds, name: str) -> DicomSlice | None:
    """The :class:`DicomSlice` of a pydicom dataset, or ``None`` if it is not an image."""
    if "Rows" not in ds or "Columns" not in ds:
        return None
    return DicomSlice(
        name=name,
        uid=str(ds.get("SeriesInstanceUID", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        position=_floats(ds.get("ImagePositionPatient"), 3),
        orientation=_floats(ds.get("ImageOrientationPatient"), 6),
        size=(int(ds.Rows), int(ds.Columns)),
        pixel_spacing=_floats(ds.get("PixelSpacing"), 2),
        image_type=tuple(str(v).upper() for v in (ds.get("ImageType") or [])),
        frames=int(ds.get("NumberOfFrames") or 1),
    )


def is_dicom_file(path: Path) -> bool:
    """True for a file with the DICOM preamble ("DICM" at byte 128)."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def dicom_files(folder: Path) -> list[Path]:
    """The DICOM files directly inside ``folder`` (not in subfolders), sorted by name."""
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return []
    return [p for p in entries if is_dicom_file(p)]


def scan_folder(folder: Path) -> list[DicomSlice]:
    """Read the headers of every DICOM image directly inside ``folder``."""
    import pydicom

    slices = []
    for path in dicom_files(folder):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_TAGS)
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types for bad files
            raise MedsslError(f"cannot read DICOM header of {path}: {exc}") from None
        item = slice_from_dataset(ds, str(path))
        if item is not None:
            slices.append(item)
    return slices


def group_series(slices: Sequence[DicomSlice]) -> dict[str, list[DicomSlice]]:
    """Slices grouped by SeriesInstanceUID, in order of first appearance."""
    groups: dict[str, list[DicomSlice]] = {}
    for item in slices:
        groups.setdefault(item.uid, []).append(item)
    return groups


def list_series(folder: str | Path) -> list[SeriesInfo]:
    """The DICOM series directly inside ``folder``: UID, description, slice count."""
    groups = group_series(scan_folder(Path(folder)))
    return [SeriesInfo(uid, items[0].description, len(items)) for uid, items in groups.items()]


def select_series(
    slices: Sequence[DicomSlice], where: str, series: str | None = None
) -> list[DicomSlice]:
    """The slices of one series: ``series`` (a UID), or the only one there is.

    Raises:
        MedsslError: No DICOM image, an unknown UID, or several series and none chosen
            (the message lists them).
    """
    groups = group_series(slices)
    if not groups:
        raise MedsslError(f"{where}: folder holds no DICOM series (no DICOM image file found)")
    listing = "; ".join(str(SeriesInfo(u, s[0].description, len(s))) for u, s in groups.items())
    if series is not None:
        if series not in groups:
            raise MedsslError(
                f"{where}: no DICOM series with UID {series}; series there: {listing}"
            )
        return groups[series]
    if len(groups) > 1:
        raise MedsslError(
            f"{where}: folder holds {len(groups)} DICOM series; choose one with "
            f"--series UID: {listing}"
        )
    return next(iter(groups.values()))


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def _check_uniform_slices(slices: Sequence[DicomSlice], where: str) -> None:
    for item in slices:
        if item.frames > 1:
            raise MedsslError(
                f"{item.name}: multi-frame DICOM ({item.frames} frames) is not supported; "
                "convert it to NIfTI first (e.g. with dcm2niix)"
            )
        missing = [
            tag
            for tag, value in (
                ("ImagePositionPatient", item.position),
                ("ImageOrientationPatient", item.orientation),
                ("PixelSpacing", item.pixel_spacing),
            )
            if value is None
        ]
        if missing:
            raise MedsslError(
                f"{item.name}: DICOM image has no valid {', '.join(missing)}; "
                "a slice of a 3D volume needs them to be placed in space"
            )
        if "LOCALIZER" in item.image_type:
            raise MedsslError(
                f"{where}: slice {item.name} is a LOCALIZER (scout) image inside the series; "
                "a 3D volume holds only parallel slices of one grid: remove it from the folder"
            )
    ref = _majority(slices)
    for item in slices:
        if not np.allclose(item.orientation, ref.orientation, atol=1e-4):
            raise MedsslError(
                f"{where}: slice {item.name} has ImageOrientationPatient {_fmt(item.orientation)} "
                f"but the series' other slices have {_fmt(ref.orientation)} (a scout or "
                "localizer in the series?); all slices of a 3D volume must share one orientation"
            )
        if item.size != ref.size or not np.allclose(
            item.pixel_spacing, ref.pixel_spacing, atol=1e-4
        ):
            raise MedsslError(
                f"{where}: slice {item.name} is {item.size[0]}x{item.size[1]} pixels of "
                f"{_fmt(item.pixel_spacing)} mm but the series' other slices are {ref.size[0]}x"
                f"{ref.size[1]} of {_fmt(ref.pixel_spacing)} mm; all slices of a 3D volume "
                "must share rows, columns and pixel spacing"
            )


def _majority(slices: Sequence[DicomSlice]) -> DicomSlice:
    """A slice with the most common (orientation, size, pixel spacing)."""
    counts: dict[tuple, list[DicomSlice]] = {}
    for item in slices:
        key = (
            tuple(np.round(item.orientation, 3)),
            item.size,
            tuple(np.round(item.pixel_spacing, 3)),
        )
        counts.setdefault(key, []).append(item)
    return max(counts.values(), key=len)[0]


def _positions_text(d: np.ndarray, around: int | None = None) -> str:
    if around is None or d.size <= 12:
        shown = d if d.size <= 12 else np.concatenate([d[:6], d[-6:]])
        text = ", ".join(f"{v:.4g}" for v in shown)
        return text if d.size <= 12 else text.replace(f"{d[5]:.4g}, ", f"{d[5]:.4g}, ..., ", 1)
    lo, hi = max(0, around - 3), min(d.size, around + 4)
    body = ", ".join(f"{v:.4g}" for v in d[lo:hi])
    return ("..., " if lo > 0 else "") + body + (", ..." if hi < d.size else "")


def series_grid(
    slices: Sequence[DicomSlice], where: str
) -> tuple[list[DicomSlice], tuple[int, int, int], np.ndarray]:
    """Sort the slices of one series and compute its grid, checking every rule above.

    Returns:
        The slices in volume order, the shape (X, Y, Z) and the RAS+ affine.

    Raises:
        MedsslError: One line naming ``where``, the offending slices or positions and
            the rule they break.
    """
    slices = list(slices)
    if len(slices) < 2:
        raise MedsslError(
            f"{where}: the DICOM series holds {len(slices)} slice ({slices[0].name}); "
            "a single slice is not a 3D volume (give the folder with the whole series)"
        )
    _check_uniform_slices(slices, where)
    orient = np.asarray(_majority(slices).orientation)
    row, col = orient[:3], orient[3:]
    normal = np.cross(row, col)
    positions = np.array([s.position for s in slices])
    d = positions @ normal
    order = np.argsort(d, kind="stable")
    slices = [slices[i] for i in order]
    positions, d = positions[order], d[order]
    gaps = np.diff(d)
    dup = np.flatnonzero(gaps < 1e-3)
    if dup.size:
        i = int(dup[0])
        raise MedsslError(
            f"{where}: slices {slices[i].name} and {slices[i + 1].name} are at the same position "
            f"{d[i]:.4g} mm along the slice normal (several acquisitions or echoes in one "
            "series?); a 3D volume needs one slice per position"
        )
    step = float(np.median(gaps))
    tol = max(SPACING_TOLERANCE, 0.01 * step)
    bad = np.flatnonzero(np.abs(gaps - step) > tol)
    if bad.size:
        i = int(bad[0])
        raise MedsslError(
            f"{where}: slices are not evenly spaced: {gaps[i]:.4g} mm between positions "
            f"{d[i]:.4g} and {d[i + 1]:.4g} mm (along the slice normal) where the series' "
            f"step is {step:.4g} mm (a missing or extra slice?); positions (mm): "
            f"{_positions_text(d, i)}; a 3D volume needs one uniform slice spacing "
            f"(tolerance {tol:.3g} mm)"
        )
    drift = positions - positions[0] - np.outer(d - d[0], normal)
    shift = float(np.linalg.norm(drift, axis=1).max())
    if shift > max(1e-3, 0.1 * min(slices[0].pixel_spacing)):
        along = float(d[-1] - d[0])
        angle = float(np.degrees(np.arctan2(np.linalg.norm(drift[-1]), along)))
        raise MedsslError(
            f"{where}: slice positions drift {shift:.3g} mm sideways from the slice normal over "
            f"{along:.4g} mm (gantry tilt of about {angle:.2g} degrees?); medssl reads only "
            "slices stacked along their normal: resample the series to an orthogonal grid "
            "first (e.g. dcm2niix, which corrects gantry tilt)"
        )
    rows, cols = slices[0].size
    ps_row, ps_col = slices[0].pixel_spacing
    lps = np.eye(4)
    lps[:3, 0] = row * ps_col
    lps[:3, 1] = col * ps_row
    lps[:3, 2] = normal * step
    lps[:3, 3] = positions[0]
    return slices, (cols, rows, len(slices)), LPS_TO_RAS @ lps


def read_series(
    folder: Path, *, series: str | None = None
) -> tuple[np.ndarray, np.ndarray, list[DicomSlice]]:
    """Read one DICOM series of ``folder`` as a 3D volume.

    Returns:
        The voxels (X, Y, Z), the RAS+ affine, and the slices in volume order.

    Raises:
        MedsslError: See :func:`select_series` and :func:`series_grid`, or an
            undecodable file.
    """
    import SimpleITK as sitk

    chosen = select_series(scan_folder(folder), str(folder), series)
    ordered, shape, affine = series_grid(chosen, str(folder))
    try:
        img = sitk.ReadImage([s.name for s in ordered])
    except RuntimeError as exc:
        reason = next((ln for ln in str(exc).splitlines() if ln.strip()), "unknown error")
        raise MedsslError(f"cannot read DICOM series in {folder}: {reason.strip()}") from None
    array = sitk.GetArrayFromImage(img)
    if array.ndim != 3 or array.shape[::-1] != shape:
        raise MedsslError(
            f"{folder}: decoded pixels have shape {array.shape[::-1]}, not the grid {shape} "
            "given by the headers (colour or multi-frame images are not supported)"
        )
    return array.transpose(2, 1, 0), affine, ordered


def refuse_single_file(path: Path) -> None:
    """A lone ``.dcm`` file is one slice (or a multi-frame image): not a 3D volume here.

    Raises:
        MedsslError: Always, naming the file and the rule.
    """
    raise MedsslError(
        f"{path}: a single DICOM file is not a 3D volume; give the folder that holds the "
        "whole series (one file per slice)"
    )

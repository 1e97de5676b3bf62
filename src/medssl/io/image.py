"""Read and write 3D images in NIfTI, NRRD, MHA/MHD and DICOM (series folder).

Every array that leaves this module carries a :class:`~medssl.io.geometry.Geometry`,
and :func:`write_image` is the way a result reaches the disk: in exactly the grid it
is given. See :mod:`medssl.io.geometry` for the axis and world conventions,
:mod:`medssl.io.nifti` for which of a NIfTI's qform and sform is used (the one ITK and
3D Slicer use), and :mod:`medssl.io.dicom` for the rules a DICOM series must follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io.atomic import atomic_path, full_suffix
from medssl.io.dicom import (
    dicom_files,
    is_dicom_file,
    read_series,
    refuse_single_file,
    scan_folder,
    select_series,
    series_grid,
)
from medssl.io.dicom_mask import check_slices_match, is_mask_source, read_mask_label
from medssl.io.geometry import Geometry, affine_from_itk, itk_from_affine
from medssl.io.nifti import nifti_geometry
from medssl.io.nifti import read_nifti as _read_nifti
from medssl.io.nifti import write_nifti as _write_nifti

NIFTI_SUFFIXES = (".nii", ".nii.gz")
ITK_SUFFIXES = (".nrrd", ".nhdr", ".mha", ".mhd")
IMAGE_SUFFIXES = NIFTI_SUFFIXES + ITK_SUFFIXES + (".dcm",)


@dataclass
class Image:
    """A 3D array and the grid it lives in.

    Shape:
        ``array``: (X, Y, Z), equal to ``geometry.shape``.
    """

    array: np.ndarray
    geometry: Geometry

    def __post_init__(self) -> None:
        if tuple(self.array.shape) != tuple(self.geometry.shape):
            raise MedsslError(
                f"array shape {self.array.shape} does not match geometry shape "
                f"{self.geometry.shape} ({self.geometry.source})"
            )


def is_image_path(path: str | Path) -> bool:
    """True for a file with a known image extension, or a folder holding DICOM files."""
    path = Path(path)
    if path.is_dir():
        return dicom_files(path) != []
    return full_suffix(path) in IMAGE_SUFFIXES


def image_stem(path: str | Path) -> str:
    """File name without its (possibly double) image extension."""
    path = Path(path)
    suffix = full_suffix(path)
    name = path.name
    return name[: -len(suffix)] if suffix and not path.is_dir() else name


def output_name(path: str | Path) -> str:
    """Output file name for a prediction on ``path``: the same name, NIfTI for DICOM."""
    path = Path(path)
    if path.is_dir() or full_suffix(path) == ".dcm":
        return image_stem(path.rstrip("/") if isinstance(path, str) else path) + ".nii.gz"
    return path.name


def read_image(
    path: str | Path,
    *,
    channel: int | None = None,
    dtype: type | None = np.float32,
    allow_nonfinite: bool = False,
    series: str | None = None,
) -> Image:
    """Read a 3D image.

    Args:
        path: A NIfTI/NRRD/MHA/MHD file, or a folder holding a DICOM series (see
            :mod:`medssl.io.dicom` for the rules a series must follow).
        channel: For a 4D image, the index of the channel (last axis) to keep.
        dtype: Cast the voxels to this type; ``None`` keeps the stored type.
        allow_nonfinite: Accept NaN or Inf voxels instead of raising.
        series: For a DICOM folder holding several series, the SeriesInstanceUID of
            the one to read (``--series UID`` at the command line).

    Returns:
        The :class:`Image`, its geometry's ``source`` set to ``path``.

    Raises:
        MedsslError: Missing, unreadable or corrupt file; not 3D (or 4D without
            ``channel``); channel out of range; NaN or Inf voxels; a DICOM folder with
            several series and no ``series``, or whose slices do not form one regular
            grid; a single DICOM file.
    """
    path = Path(path)
    if not path.exists():
        raise MedsslError(f"file not found: {path}")
    if series is not None and not path.is_dir():
        raise MedsslError(f"{path}: --series {series} applies only to a DICOM folder")
    if path.is_dir():
        array, affine, _ = read_series(path, series=series)
    elif full_suffix(path) == ".dcm" or is_dicom_file(path):
        refuse_single_file(path)
    elif full_suffix(path) in NIFTI_SUFFIXES:
        array, affine = _read_nifti(path)
    else:
        array, affine = _read_itk(path)
    array = _select_channel(array, channel, path)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if not allow_nonfinite and np.issubdtype(array.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise MedsslError(f"{path}: image contains {bad} NaN or Inf voxels; all must be finite")
    return Image(np.ascontiguousarray(array), Geometry(array.shape, affine, str(path)))


def read_geometry(path: str | Path, *, series: str | None = None) -> Geometry:
    """The grid of an image from its header(s) alone: no voxel is read.

    Use it to check sizes before loading. Accepts what :func:`read_image` accepts;
    for a 4D image it gives the grid of one channel.

    Raises:
        MedsslError: Missing or unreadable file, or a DICOM folder that
            :func:`read_image` would refuse.
    """
    path = Path(path)
    if not path.exists():
        raise MedsslError(f"file not found: {path}")
    if path.is_dir():
        chosen = select_series(scan_folder(path), str(path), series)
        _, shape, affine = series_grid(chosen, str(path))
        return Geometry(shape, affine, str(path))
    if full_suffix(path) == ".dcm" or is_dicom_file(path):
        refuse_single_file(path)
    if full_suffix(path) in NIFTI_SUFFIXES:
        return nifti_geometry(path)
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as exc:
        reason = next((ln for ln in str(exc).splitlines() if ln.strip()), "unknown error")
        raise MedsslError(f"cannot read {path} as an image: {reason.strip()}") from None
    dim = reader.GetDimension()
    if dim < 3:
        raise MedsslError(f"{path}: expected a 3D image; got a {dim}D image")
    direction = np.asarray(reader.GetDirection()).reshape(dim, dim)[:3, :3]
    affine = affine_from_itk(reader.GetSpacing()[:3], reader.GetOrigin()[:3], direction)
    return Geometry(reader.GetSize()[:3], affine, str(path))


def read_label(
    path: str | Path,
    *,
    require_foreground: bool = False,
    series: str | None = None,
    reference: str | Path | None = None,
    reference_series: str | None = None,
) -> Image:
    """Read an integer label map (3D).

    Besides image files and DICOM folders, accepts DICOM mask structures (see
    :mod:`medssl.io.dicom_mask`): ``ZIP_OR_FOLDER::liver=1,spleen=2`` builds a label
    map from one mask series per structure. A DICOM folder whose only non-zero value
    is 255 (a binary mask stored as 0/255) reads as a binary label (0/1).

    Args:
        path: The label file, DICOM folder or structure spec.
        require_foreground: Refuse an all-zero label.
        series: One series of a DICOM folder, as in :func:`read_image`.
        reference: The image the label belongs to; when both are DICOM, every mask
            slice is checked against the image's slice at the same place.
        reference_series: The series of ``reference`` when it holds several.

    Raises:
        MedsslError: As :func:`read_image`; also for non-integer values, an all-zero
            label when ``require_foreground`` is set, unknown structures, or DICOM
            mask slices that do not match the reference image's slices.
    """
    if is_mask_source(path):
        array, affine = read_mask_label(
            path, reference=reference, reference_series=reference_series
        )
        image = Image(array, Geometry(array.shape, affine, str(path)))
    else:
        image = read_image(path, dtype=None, series=series)
        if Path(path).is_dir():
            _check_dicom_reference(Path(path), reference, series, reference_series)
    array = image.array
    if np.issubdtype(array.dtype, np.floating):
        rounded = np.rint(array)
        if not np.allclose(array, rounded, atol=1e-3):
            raise MedsslError(f"{path}: label values must be whole numbers; found fractions")
        array = rounded
    if array.min() < 0:
        raise MedsslError(f"{path}: label values must be >= 0; found {array.min()}")
    if Path(path).is_dir() and array.max() == 255 and not np.any((array != 0) & (array != 255)):
        array = array != 0
    array = array.astype(np.uint8 if array.max() < 256 else np.int32)
    if require_foreground and not array.any():
        raise MedsslError(f"{path}: label is empty (all zero); a foreground label is required")
    return Image(array, image.geometry)


def _check_dicom_reference(
    folder: Path,
    reference: str | Path | None,
    series: str | None,
    reference_series: str | None = None,
) -> None:
    """Slice-by-slice check of a DICOM label folder against a DICOM image folder."""
    if reference is None or not Path(reference).is_dir():
        return
    mask = series_grid(select_series(scan_folder(folder), str(folder), series), str(folder))[0]
    ref = Path(reference)
    chosen = select_series(scan_folder(ref), str(ref), reference_series)
    image = series_grid(chosen, str(ref))[0]
    check_slices_match(mask, image, str(folder), str(ref))


def write_image(array: np.ndarray, geometry: Geometry, path: str | Path) -> Path:
    """Write ``array`` in ``geometry``'s grid, atomically.

    The format follows the extension: .nii/.nii.gz (nibabel) or .nrrd/.nhdr/.mha
    (SimpleITK). The file appears only when complete.

    Raises:
        MedsslError: Shape mismatch, unknown extension, or an unwritable folder.
    """
    path = Path(path)
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if tuple(array.shape) != tuple(geometry.shape):
        raise MedsslError(
            f"cannot write {path}: array shape {array.shape} differs from the grid "
            f"{geometry.shape} of {geometry.source}"
        )
    suffix = full_suffix(path)
    if suffix not in NIFTI_SUFFIXES + (".nrrd", ".mha"):
        raise MedsslError(
            f"cannot write {path}: extension '{suffix}' is not one of .nii, .nii.gz, .nrrd, .mha"
        )
    with atomic_path(path) as tmp:
        try:
            if suffix in NIFTI_SUFFIXES:
                _write_nifti(array, geometry, tmp)
            else:
                _write_itk(array, geometry, tmp)
        except OSError as exc:
            raise MedsslError(f"cannot write {path}: {exc}") from None
    return path


# ----------------------------------------------------------------------------- readers


def _read_itk(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import SimpleITK as sitk

    try:
        img = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        reason = next((ln for ln in first if ln.strip()), "unknown error")
        raise MedsslError(f"cannot read {path} as an image: {reason.strip()}") from None
    return _from_sitk(img, path)


def _from_sitk(img, path: Path) -> tuple[np.ndarray, np.ndarray]:
    import SimpleITK as sitk

    dim = img.GetDimension()
    if dim == 2:
        arr = sitk.GetArrayFromImage(img)
        raise MedsslError(f"{path}: expected a 3D image; got a 2D image of shape {arr.shape[::-1]}")
    if dim == 4:
        # ITK 4D: array (t, z, y, x); keep t as a trailing channel axis.
        arr = sitk.GetArrayFromImage(img).transpose(3, 2, 1, 0)
        spacing, origin = img.GetSpacing()[:3], img.GetOrigin()[:3]
        d = np.asarray(img.GetDirection()).reshape(4, 4)[:3, :3]
        return arr, affine_from_itk(spacing, origin, d)
    arr = sitk.GetArrayFromImage(img)  # (z, y, x) or (z, y, x, c)
    arr = arr.transpose(2, 1, 0) if arr.ndim == 3 else arr.transpose(2, 1, 0, 3)
    return arr, affine_from_itk(img.GetSpacing(), img.GetOrigin(), img.GetDirection())


def _select_channel(array: np.ndarray, channel: int | None, path: Path) -> np.ndarray:
    if array.ndim == 4 and array.shape[3] == 1 and channel in (None, 0):
        return array[..., 0]
    if array.ndim == 4:
        if channel is None:
            raise MedsslError(
                f"{path}: image is 4D with {array.shape[3]} channels (shape {array.shape}); "
                "choose one with --channel"
            )
        if not 0 <= channel < array.shape[3]:
            raise MedsslError(f"{path}: channel must be in 0..{array.shape[3] - 1}; got {channel}")
        return array[..., channel]
    if array.ndim != 3:
        raise MedsslError(f"{path}: expected a 3D image; got {array.ndim}D shape {array.shape}")
    if channel not in (None, 0):
        raise MedsslError(f"{path}: image is 3D, so there is no channel {channel}")
    return array


# ----------------------------------------------------------------------------- writers


def _write_itk(array: np.ndarray, geometry: Geometry, path: Path) -> None:
    import SimpleITK as sitk

    if array.dtype == np.int64:
        array = array.astype(np.int32)
    img = sitk.GetImageFromArray(np.ascontiguousarray(array.transpose(2, 1, 0)))
    spacing, origin, direction = itk_from_affine(geometry.affine)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    img.SetDirection(direction)
    sitk.WriteImage(img, str(path), useCompression=True)

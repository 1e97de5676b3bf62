"""Check every case of a dataset up front, before any long job starts.

Headers are read for speed (shape and affine only); label content is read when a
non-empty label is required, and every voxel when ``decode=True``. Every problem is
collected; one :class:`MedsslError` reports the first and how many others there are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medssl.data.record import Record
from medssl.errors import MedsslError
from medssl.io import Geometry, read_image, read_label
from medssl.io.atomic import full_suffix
from medssl.io.dicom_mask import is_mask_source
from medssl.io.geometry import affine_from_itk
from medssl.io.nifti import nifti_affine
from medssl.progress import track

_NIFTI = (".nii", ".nii.gz")


def read_header(path: Path, *, series: str | None = None) -> tuple[tuple[int, ...], np.ndarray]:
    """Full shape (3D or 4D) and RAS+ affine of an image, reading no voxels if possible.

    ``series`` chooses one series of a DICOM folder holding several.

    Raises:
        MedsslError: Missing or unreadable file.
    """
    if is_mask_source(path):
        label = read_label(path)
        return label.geometry.shape, label.geometry.affine
    if not path.exists():
        raise MedsslError(f"file not found: {path}")
    suffix = full_suffix(path)
    if path.is_file() and suffix in _NIFTI:
        import nibabel as nib

        try:
            img = nib.load(str(path))
            return tuple(int(s) for s in img.shape), nifti_affine(img, path)
        except Exception as exc:  # noqa: BLE001 (nibabel raises many types for corrupt files)
            raise MedsslError(
                f"cannot read {path} as NIfTI (corrupt or truncated?): {exc}"
            ) from None
    if path.is_file() and suffix != ".dcm":
        import SimpleITK as sitk

        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        try:
            reader.ReadImageInformation()
        except Exception:  # noqa: BLE001 (SimpleITK raises a bare RuntimeError subclass)
            raise MedsslError(
                f"cannot read {path} as an image (corrupt or unknown format)"
            ) from None
        size, dim = reader.GetSize(), reader.GetDimension()
        if dim < 3:
            return tuple(size), np.eye(4)
        direction = np.asarray(reader.GetDirection()).reshape(dim, dim)[:3, :3]
        affine = affine_from_itk(reader.GetSpacing()[:3], reader.GetOrigin()[:3], direction)
        components = reader.GetNumberOfComponents()
        channels = tuple(size[3:]) or ((components,) if components > 1 else ())
        return tuple(size[:3]) + channels, affine
    image = read_image(path, dtype=None, allow_nonfinite=True, series=series)
    return image.geometry.shape, image.geometry.affine


def _image_grid(path: Path, channel: int | None, series: str | None = None) -> Geometry:
    shape, affine = read_header(path, series=series)
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) == 4:
        if channel is None:
            raise MedsslError(
                f"{path}: image is 4D with {shape[3]} channels (shape {shape}); "
                "choose one with --channel"
            )
        if not 0 <= channel < shape[3]:
            raise MedsslError(f"{path}: channel must be in 0..{shape[3] - 1}; got {channel}")
        shape = shape[:3]
    elif len(shape) != 3:
        raise MedsslError(f"{path}: expected a 3D image; got {len(shape)}D shape {shape}")
    elif channel not in (None, 0):
        raise MedsslError(f"{path}: image is 3D, so there is no channel {channel}")
    return Geometry(shape, affine, str(path))


def _check_mask(path: Path, image: Geometry, what: str) -> None:
    shape, affine = read_header(path)
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if tuple(shape) != image.shape:
        raise MedsslError(
            f"{what} shape {tuple(shape)} in {path} does not match image shape "
            f"{image.shape} in {image.source}"
        )
    if not np.allclose(affine, image.affine, atol=1e-4, rtol=0):
        diff = float(np.abs(affine - image.affine).max())
        raise MedsslError(
            f"{what} affine differs from the image's by up to {diff:.3g} mm (tolerance 1e-4) "
            f"between {path} and {image.source}"
        )


def check_record(
    record: Record, *, channel: int | None = None, require_label: bool = False, decode: bool = False
) -> Geometry:
    """Check one case; return its image grid.

    Raises:
        MedsslError: The first problem found, naming the file(s).
    """
    grid = _image_grid(Path(record.image), channel, record.series)
    if decode:
        read_image(record.image, channel=channel, series=record.series)
    if record.label is None:
        if require_label:
            raise MedsslError(f"a label is required; case '{record.id}' has none ({record.image})")
    else:
        _check_mask(Path(record.label), grid, "label")
        if require_label or decode:
            read_label(
                record.label,
                require_foreground=require_label,
                reference=record.image,
                reference_series=record.series,
            )
    if record.roi is not None:
        _check_mask(Path(record.roi), grid, "ROI")
        if decode:
            read_label(record.roi)
    return grid


def validate_records(
    records: list[Record],
    *,
    channel: int | None = None,
    require_label: bool = False,
    decode: bool = False,
) -> list[Geometry]:
    """Check every case with a progress bar, before training or inference starts.

    Checks: the image exists and is readable, is 3D (or 4D with ``channel`` chosen);
    the label and ROI exist and have the image's shape and affine (errors name both
    files); with ``require_label``, every case has a label with some foreground.

    Args:
        records: The cases, e.g. from :func:`load_records`.
        channel: Channel to use from 4D images.
        require_label: Every case must have a non-empty label.
        decode: Also read every voxel (finds truncated files and NaN voxels; slower).

    Returns:
        The image grid of each record, in order.

    Raises:
        MedsslError: No records, or the first problem found, followed by how many other
            cases also failed.
    """
    if not records:
        raise MedsslError("dataset must hold at least one case; got none")
    grids, problems = [], []
    for record in track(records, "checking cases"):
        try:
            grids.append(
                check_record(record, channel=channel, require_label=require_label, decode=decode)
            )
        except MedsslError as exc:
            problems.append(str(exc))
    if problems:
        more = f" (and {len(problems) - 1} more failing cases)" if len(problems) > 1 else ""
        raise MedsslError(problems[0] + more)
    return grids

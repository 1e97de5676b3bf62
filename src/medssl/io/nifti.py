"""NIfTI reading and writing, with the qform/sform choice that ITK and 3D Slicer make.

A NIfTI-1 header can hold two voxel-to-world transforms, the qform (a rotation,
pixdim and an offset) and the sform (a general affine), each with a code saying what
world it maps to (0 = none, 1 = scanner, 2 = aligned, 3 = Talairach, 4 = MNI, 5 =
template). Programs disagree on which one wins when both are set and differ:

- nibabel (``img.affine``) takes the sform whenever ``sform_code > 0``;
- ITK 5 (``NiftiImageIO``, used by SimpleITK, ANTs and 3D Slicer) takes the sform
  only if it has no shear (its 3×3 normalises to an orthonormal matrix) **and** one
  of: the qform code is 0; the sform code is 1 (scanner); or both are set and the
  two transforms agree (same rotation, spacing and offset to 1e-4). Otherwise it
  takes the qform. Spacing always comes from pixdim.

So a file with, say, ``qform_code = 1`` and an sform with code 2 that is shifted by
6 mm opens 6 mm apart in nibabel-based tools and in 3D Slicer. medssl follows ITK
and 3D Slicer: :func:`read_nifti` takes the grid from SimpleITK's own NIfTI reader
(header only) and warns with a :class:`GeometryWarning` when qform and sform disagree
at any corner of the image by more than :data:`QFORM_SFORM_TOLERANCE_MM` (or a tenth
of the smallest voxel). A file with neither (both codes 0) is placed as ITK does
(origin 0, axes L, P, S), with a warning. Files that ITK cannot place (a sheared sform
and no qform) keep nibabel's sform, with a warning.

:func:`write_nifti` writes the grid into both the qform and the sform with code 1
(scanner), so every program reads a medssl output at the same place.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io.geometry import Geometry, affine_from_itk

#: Largest distance (mm) between qform and sform placements of a corner voxel that
#: passes without a warning (or a tenth of the smallest voxel, if that is less):
#: quaternion rounding alone moves real files by up to a few hundredths of a mm.
QFORM_SFORM_TOLERANCE_MM = 0.1


class GeometryWarning(UserWarning):
    """A file's grid is ambiguous (e.g. its qform and sform disagree)."""


def _corner_distance(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> float:
    """Largest world distance (mm) between the two placements of a corner voxel."""
    corners = np.array(
        [[*c, 1.0] for c in itertools.product(*[(0, max(int(n) - 1, 0)) for n in shape[:3]])]
    )
    return float(np.linalg.norm((corners @ a.T - corners @ b.T)[:, :3], axis=1).max())


def _itk_affine(path: Path) -> np.ndarray | None:
    """The RAS+ affine that ITK's NIfTI reader gives the file, or ``None`` if it refuses."""
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.SetImageIO("NiftiImageIO")
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return None
    dim = reader.GetDimension()
    if dim < 3:
        return None
    direction = np.asarray(reader.GetDirection()).reshape(dim, dim)[:3, :3]
    return affine_from_itk(reader.GetSpacing()[:3], reader.GetOrigin()[:3], direction)


def nifti_affine(img, path: Path) -> np.ndarray:
    """The voxel-to-world (RAS+) affine of a loaded nibabel image, chosen as ITK does.

    Warns:
        GeometryWarning: qform and sform both set and disagreeing beyond the
            tolerance (naming the file, the distance and the transform used), or a
            file that ITK cannot place.
    """
    header = img.header
    shape = img.shape[:3]
    nib_affine = np.asarray(img.affine, dtype=np.float64)
    qform, qcode = header.get_qform(coded=True)
    sform, scode = header.get_sform(coded=True)
    if len(shape) < 3:
        return nib_affine
    itk = _itk_affine(path)
    if itk is None:
        if qcode or scode:
            warnings.warn(
                f"{path}: ITK and 3D Slicer cannot place this NIfTI (sheared sform and no "
                "qform); medssl uses the sform, other programs may differ",
                GeometryWarning,
                stacklevel=3,
            )
        return nib_affine
    if not qcode and not scode:
        warnings.warn(
            f"{path}: NIfTI has neither qform nor sform (orientation unknown); medssl places "
            "it as ITK and 3D Slicer do: origin 0, voxel axes along L, P, S",
            GeometryWarning,
            stacklevel=3,
        )
    elif qform is not None and sform is not None and qcode > 0 and scode > 0:
        distance = _corner_distance(qform, sform, shape)
        smallest = float(np.linalg.norm(sform[:3, :3], axis=0).min())
        if distance > min(QFORM_SFORM_TOLERANCE_MM, 0.1 * smallest):
            used = "sform" if _corner_distance(itk, sform, shape) < 1e-3 else "qform"
            warnings.warn(
                f"{path}: qform (code {int(qcode)}) and sform (code {int(scode)}) disagree by "
                f"up to {distance:.3g} mm; medssl uses the {used}, as ITK and 3D Slicer do, "
                "and writes outputs with both set to it",
                GeometryWarning,
                stacklevel=3,
            )
    if _corner_distance(itk, nib_affine, shape) <= 1e-4:
        return nib_affine
    return itk


def read_nifti(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Voxels (file order) and RAS+ affine of a NIfTI file.

    Raises:
        MedsslError: Unreadable, corrupt or truncated file.
    """
    import nibabel as nib

    try:
        img = nib.load(str(path))
        array = np.asanyarray(img.dataobj)
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types for corrupt files
        raise MedsslError(f"cannot read {path} as NIfTI (corrupt or truncated?): {exc}") from None
    return array, nifti_affine(img, path)


def nifti_geometry(path: Path) -> Geometry:
    """The grid of a NIfTI file from its header alone (no voxel is read)."""
    import nibabel as nib

    try:
        img = nib.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise MedsslError(f"cannot read {path} as NIfTI (corrupt or truncated?): {exc}") from None
    if len(img.shape) < 3:
        raise MedsslError(f"{path}: expected a 3D image; got shape {img.shape}")
    return Geometry(img.shape[:3], nifti_affine(img, path), str(path))


def write_nifti(array: np.ndarray, geometry: Geometry, path: Path) -> None:
    """Write ``array`` with qform and sform both equal to the grid (code 1, scanner)."""
    import nibabel as nib

    if array.dtype == np.float64:
        array = array.astype(np.float32)
    if array.dtype == np.int64:
        array = array.astype(np.int32)
    img = nib.Nifti1Image(array, geometry.affine)
    img.set_sform(geometry.affine, code=1)
    img.set_qform(geometry.affine, code=1)
    img.header.set_xyzt_units("mm", "sec")
    nib.save(img, str(path))

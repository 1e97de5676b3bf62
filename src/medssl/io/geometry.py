"""The voxel grid of an image: shape and voxel-to-world affine.

Convention (the one medssl uses everywhere): arrays keep the voxel order of the file
as nibabel reads it, indexed ``array[i, j, k]``, and ``affine`` maps the homogeneous
voxel index ``(i, j, k, 1)`` to world coordinates in millimetres in **RAS+**
(+x = Right, +y = Anterior, +z = Superior; the NIfTI world). Files that SimpleITK reads (NRRD, MHA/MHD, DICOM) are converted from ITK's
LPS, ``(z, y, x)`` array order, into this convention on reading and back on writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medssl.errors import MedsslError

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass(frozen=True)
class Geometry:
    """Shape and affine of a 3D voxel grid.

    Args:
        shape: Number of voxels along (i, j, k).
        affine: 4×4 voxel-to-world (RAS+, mm) matrix.
        source: The file it was read from, for error messages.
    """

    shape: tuple[int, int, int]
    affine: np.ndarray = field(repr=False)
    source: str | None = None

    def __post_init__(self) -> None:
        affine = np.asarray(self.affine, dtype=np.float64)
        if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
            raise MedsslError(f"affine must be a finite 4x4 matrix; got {affine!r}")
        if abs(np.linalg.det(affine[:3, :3])) < 1e-12:
            raise MedsslError(f"affine is singular (zero spacing?) in {self.source}")
        object.__setattr__(self, "affine", affine)
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if len(self.shape) != 3:
            raise MedsslError(f"geometry must be 3D; got shape {self.shape} in {self.source}")

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size in mm along (i, j, k)."""
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))

    @property
    def origin(self) -> tuple[float, float, float]:
        """World position (RAS+, mm) of voxel (0, 0, 0)."""
        return tuple(float(v) for v in self.affine[:3, 3])

    @property
    def direction(self) -> np.ndarray:
        """3×3 matrix of unit column vectors: the world direction of each voxel axis."""
        return self.affine[:3, :3] / np.asarray(self.spacing)

    @property
    def axcodes(self) -> tuple[str, str, str]:
        """Orientation codes such as ``('L', 'P', 'S')`` (nibabel's convention)."""
        import nibabel as nib

        return tuple(nib.aff2axcodes(self.affine))

    def matches(self, other: Geometry, *, atol: float = 1e-4) -> bool:
        """True when both grids have the same shape and affines equal to ``atol``."""
        return self.shape == other.shape and bool(
            np.allclose(self.affine, other.affine, atol=atol, rtol=0)
        )

    def with_source(self, source: str | None) -> Geometry:
        return Geometry(self.shape, self.affine, source)


def check_same_grid(a: Geometry, b: Geometry, *, atol: float = 1e-4, what: str = "") -> None:
    """Raise if two grids differ in shape or affine.

    Raises:
        MedsslError: Naming both files and what differs.
    """
    prefix = f"{what}: " if what else ""
    if a.shape != b.shape:
        raise MedsslError(
            f"{prefix}shapes differ: {a.shape} in {a.source} vs {b.shape} in {b.source}"
        )
    if not np.allclose(a.affine, b.affine, atol=atol, rtol=0):
        diff = float(np.abs(a.affine - b.affine).max())
        raise MedsslError(
            f"{prefix}affines differ by up to {diff:.3g} (tolerance {atol}) "
            f"between {a.source} and {b.source}"
        )


def affine_from_itk(spacing, origin, direction) -> np.ndarray:
    """RAS+ affine for an ITK image (LPS world, (x, y, z) index order)."""
    d = np.asarray(direction, dtype=np.float64).reshape(3, 3)
    lps = np.eye(4)
    lps[:3, :3] = d @ np.diag(np.asarray(spacing, dtype=np.float64))
    lps[:3, 3] = np.asarray(origin, dtype=np.float64)
    return LPS_TO_RAS @ lps


def itk_from_affine(affine: np.ndarray) -> tuple[tuple, tuple, tuple]:
    """Inverse of :func:`affine_from_itk`: (spacing, origin, direction) in LPS."""
    lps = LPS_TO_RAS @ np.asarray(affine, dtype=np.float64)
    m = lps[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    direction = m / spacing
    return tuple(spacing.tolist()), tuple(lps[:3, 3].tolist()), tuple(direction.ravel().tolist())

"""Resampling an array from one voxel grid onto another (scipy.ndimage).

Both grids are given by their voxel-to-world affines; the world is shared, so the
output voxel ``j`` takes the input value at voxel ``inv(src_affine) @ dst_affine @ j``.
Linear interpolation for images and probabilities, nearest for labels and masks.
Points just outside the input (rounding at the border) take the nearest edge value.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def resample_array(
    array: np.ndarray,
    src_affine: np.ndarray,
    dst_shape: tuple[int, ...],
    dst_affine: np.ndarray,
    *,
    order: int,
) -> np.ndarray:
    """Resample a 3D ``array`` from ``src_affine``'s grid to ``(dst_shape, dst_affine)``.

    Args:
        array: The input values.
        src_affine: 4×4 voxel-to-world matrix of ``array``.
        dst_shape: Shape of the output grid.
        dst_affine: 4×4 voxel-to-world matrix of the output grid.
        order: 0 (nearest, keeps the dtype) or 1 (linear, float32 output).

    Returns:
        The resampled array, of shape ``dst_shape``.

    Shape:
        ``array``: (X, Y, Z) → (X', Y', Z') = ``dst_shape``.
    """
    dst_shape = tuple(int(s) for s in dst_shape)
    vox = np.linalg.solve(np.asarray(src_affine, float), np.asarray(dst_affine, float))
    matrix, offset = vox[:3, :3], vox[:3, 3]
    if np.allclose(matrix, np.eye(3), atol=1e-6) and np.allclose(
        offset, np.round(offset), atol=1e-4
    ):
        shift = np.round(offset).astype(int)
        if dst_shape == array.shape and not shift.any():
            return array.copy()
    if order == 0:
        out_dtype = array.dtype
    else:
        array = array.astype(np.float32, copy=False)
        out_dtype = np.float32
    off_diagonal = matrix - np.diag(np.diag(matrix))
    if np.allclose(off_diagonal, 0.0, atol=1e-9):
        matrix = np.diag(matrix)  # scipy's fast path for axis-aligned scaling
    return ndimage.affine_transform(
        array,
        matrix,
        offset=offset,
        output_shape=dst_shape,
        output=out_dtype,
        order=order,
        mode="nearest",
        prefilter=False,
    )


def translate(affine: np.ndarray, start: np.ndarray | list[int]) -> np.ndarray:
    """Affine of the sub-grid whose voxel 0 is voxel ``start`` of ``affine``'s grid."""
    shift = np.eye(4)
    shift[:3, 3] = np.asarray(start, dtype=np.float64)
    return np.asarray(affine, dtype=np.float64) @ shift


def scaled_affine(affine: np.ndarray, in_shape, out_shape) -> np.ndarray:
    """Affine of a grid covering the same extent as ``(in_shape, affine)`` with ``out_shape``.

    Voxel edges are kept aligned: voxel centre ``j`` of the new grid sits at input voxel
    ``(j + 0.5) * in / out - 0.5``, as in ``scipy.ndimage.zoom(grid_mode=True)``.
    """
    scale = np.asarray(in_shape, dtype=np.float64) / np.asarray(out_shape, dtype=np.float64)
    vox = np.eye(4)
    vox[:3, :3] = np.diag(scale)
    vox[:3, 3] = 0.5 * scale - 0.5
    return np.asarray(affine, dtype=np.float64) @ vox


def affine_to_list(affine: np.ndarray) -> list[list[float]]:
    """A JSON-able copy of a 4×4 affine."""
    return [[float(v) for v in row] for row in np.asarray(affine)]

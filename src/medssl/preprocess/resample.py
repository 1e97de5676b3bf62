"""Resample to a target voxel spacing (linear for images, nearest for labels/masks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess._grid import affine_to_list, resample_array
from medssl.preprocess.step import State, Step, per_channel, register_step


def antialias_sigma(in_affine: np.ndarray, out_affine: np.ndarray) -> np.ndarray:
    """Gaussian sigma per axis, in input voxels, before resampling: ``(factor - 1) / 2``
    where an axis is made coarser by ``factor`` (new / old spacing), else 0."""
    old = np.linalg.norm(np.asarray(in_affine, dtype=np.float64)[:3, :3], axis=0)
    new = np.linalg.norm(np.asarray(out_affine, dtype=np.float64)[:3, :3], axis=0)
    return np.maximum(0.0, (new / old - 1.0) / 2.0)


@register_step
@dataclass(frozen=True)
class Resample(Step):
    """Resample the grid to ``spacing`` mm, keeping its direction and field of view.

    The new grid has ``round(shape * old_spacing / spacing)`` voxels per axis and its
    first voxel's outer corner where the old one's was (voxel edges aligned, as
    ``scipy.ndimage.zoom(grid_mode=True)``). An axis whose spacing already matches
    (to 1e-3 mm) is left alone, so a 1 mm image resampled to 1 mm is not touched.

    Args:
        spacing: Target voxel size in mm along (i, j, k): three numbers, or one for
            isotropic.
        antialias: Before an image axis is made coarser, low-pass it with a Gaussian of
            ``(factor - 1) / 2`` input voxels (``factor`` = new / old spacing; as
            ``skimage.transform.resize(anti_aliasing=True)``), so that a thin-voxel scan
            keeps the noise level of a coarser one instead of its own fine-voxel noise.
            Masks are never filtered; axes made finer are left alone.
    """

    name = "resample"
    spacing: tuple[float, float, float] | float = (1.0, 1.0, 1.0)
    antialias: bool = False

    def __post_init__(self) -> None:
        values = np.atleast_1d(np.asarray(self.spacing, dtype=np.float64))
        if values.size == 1:
            values = np.repeat(values, 3)
        if values.shape != (3,) or not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise MedsslError(
                f"resample spacing must be one or three positive numbers (mm); got {self.spacing!r}"
            )
        object.__setattr__(self, "spacing", tuple(float(v) for v in values))

    def target_grid(
        self, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[tuple[int, int, int], np.ndarray]:
        """The resampled grid's shape and affine for an input grid."""
        old = np.linalg.norm(affine[:3, :3], axis=0)
        new = np.where(np.isclose(old, self.spacing, atol=1e-3), old, self.spacing)
        scale = new / old
        out_shape = tuple(max(1, int(np.rint(n / s))) for n, s in zip(shape, scale, strict=True))
        vox = np.eye(4)
        vox[:3, :3] = np.diag(scale)
        vox[:3, 3] = 0.5 * scale - 0.5
        return out_shape, affine @ vox

    def plan(
        self, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[tuple[int, ...], np.ndarray]:
        return self.target_grid(shape, np.asarray(affine, dtype=np.float64))

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        in_shape, in_affine = state.image.shape, state.affine
        out_shape, out_affine = self.target_grid(in_shape, in_affine)
        record = {
            "step": self.name,
            "in_shape": list(in_shape),
            "in_affine": affine_to_list(in_affine),
            "out_shape": list(out_shape),
            "out_affine": affine_to_list(out_affine),
        }
        if out_shape == tuple(in_shape) and np.allclose(out_affine, in_affine, atol=1e-6):
            return state, record

        sigma = antialias_sigma(in_affine, out_affine) if self.antialias else np.zeros(3)
        if sigma.any():
            record["antialias_sigma"] = [float(v) for v in sigma]

        def image_fn(array: np.ndarray) -> np.ndarray:
            if sigma.any():
                from scipy import ndimage

                array = ndimage.gaussian_filter(array.astype(np.float32), sigma, mode="nearest")
            return resample_array(array, in_affine, out_shape, out_affine, order=1)

        def mask_fn(array: np.ndarray) -> np.ndarray:
            return resample_array(array, in_affine, out_shape, out_affine, order=0)

        return state.map(image_fn, mask_fn, out_affine), record

    @classmethod
    def invert(cls, array: np.ndarray, record: dict[str, Any], *, is_label: bool) -> np.ndarray:
        in_shape, out_shape = tuple(record["in_shape"]), tuple(record["out_shape"])
        in_affine = np.asarray(record["in_affine"])
        out_affine = np.asarray(record["out_affine"])
        if in_shape == out_shape and np.allclose(in_affine, out_affine, atol=1e-6):
            return array

        def back(channel: np.ndarray) -> np.ndarray:
            order = 0 if is_label else 1
            return resample_array(channel, out_affine, in_shape, in_affine, order=order)

        return per_channel(array, back)

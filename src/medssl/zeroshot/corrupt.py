"""Corruptions of a skull-stripped FLAIR that mimic other sources, for robustness checks.

Each corruption turns ``(image, label, affine)`` into a new triple, in its own grid
when it changes the grid, so that a segmentation of the corrupted file can be scored
against the label in the same grid:

- ``bias``: a smooth multiplicative field (largest log-amplitude 0.4) on the signal
  above the constant background;
- ``slices_5mm``: 5 mm slices along the last axis (slab average of FWHM 5 mm, one
  slice every 5 mm; the label takes the slab's centre slice);
- ``raw_units``: ``x · 1000 + 5000`` everywhere (scanner-like units);
- ``lps_ras``: the first two voxel axes reversed, the affine updated, so the same
  physical image is stored in the other orientation;
- ``voxels_2mm``: resampled to 2 mm isotropic (image linear, label nearest).

``none`` returns the input unchanged. The field of ``bias`` comes from a passed seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from medssl.errors import MedsslError

Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def _background(image: np.ndarray) -> float:
    from medssl.preprocess.foreground import foreground

    outside = image[~foreground(image)]
    return float(outside[0]) if outside.size else 0.0


def bias(image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0) -> Triple:
    from medssl.methods.ld.randomise import bias_field

    bg = _background(image)
    field = bias_field(image.shape, np.random.default_rng(seed), 4, 0.4)
    out = np.where(image != bg, (image - bg) * field + bg, image)
    return out.astype(np.float32), label, affine


def slices_5mm(image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0) -> Triple:
    dz = float(np.linalg.norm(affine[:3, 2]))
    step = max(1, round(5.0 / dz))
    smooth = ndimage.gaussian_filter1d(
        image.astype(np.float32), step / 2.355, axis=2, mode="nearest"
    )
    first = step // 2
    new = affine.copy()
    new[:3, 2] = affine[:3, 2] * step
    new[:3, 3] = affine[:3, 3] + affine[:3, 2] * first
    return smooth[:, :, first::step], label[:, :, first::step], new


def raw_units(image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0) -> Triple:
    return (image.astype(np.float32) * 1000.0 + 5000.0), label, affine


def lps_ras(image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0) -> Triple:
    flip = np.diag([-1.0, -1.0, 1.0, 1.0])
    flip[0, 3], flip[1, 3] = image.shape[0] - 1, image.shape[1] - 1
    return image[::-1, ::-1].copy(), label[::-1, ::-1].copy(), affine @ flip


def voxels_2mm(image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0) -> Triple:
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    zoom = spacing / 2.0
    shape = tuple(max(1, round(n * z)) for n, z in zip(image.shape, zoom))
    scale = np.array([(n - 1) / max(m - 1, 1) for n, m in zip(image.shape, shape)])
    coords = np.indices(shape, dtype=np.float32) * scale[:, None, None, None].astype(np.float32)
    out = ndimage.map_coordinates(image.astype(np.float32), coords, order=1, mode="nearest")
    lab = ndimage.map_coordinates(label, coords, order=0, mode="nearest")
    new = affine.copy()
    new[:3, :3] = affine[:3, :3] * scale
    return out.astype(np.float32), lab.astype(label.dtype), new


CORRUPTIONS: dict[str, Callable[..., Triple]] = {
    "none": lambda image, label, affine, seed=0: (image, label, affine),
    "bias": bias,
    "slices_5mm": slices_5mm,
    "raw_units": raw_units,
    "lps_ras": lps_ras,
    "voxels_2mm": voxels_2mm,
}


def corrupt(
    name: str, image: np.ndarray, label: np.ndarray, affine: np.ndarray, seed: int = 0
) -> Triple:
    """Apply the named corruption (see the module).

    Shape:
        ``image``, ``label``: the same (X, Y, Z); the outputs share their own shape.

    Raises:
        MedsslError: An unknown name (valid ones listed).
    """
    if name not in CORRUPTIONS:
        raise MedsslError(f"unknown corruption '{name}'; valid: {', '.join(CORRUPTIONS)}")
    return CORRUPTIONS[name](image, label, np.asarray(affine, dtype=np.float64), seed=seed)

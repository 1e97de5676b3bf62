"""Label-free removal of hypo-dense lesions from the 'normal' CT organs (liver preset).

A CT liver with tumours, used as a normal layer ``x_n``, would teach its tumours as
normal tissue. This module finds likely lesions from intensities alone and replaces
them with tissue that looks like the organ around them, before the volume is used.

Suspect map (:func:`suspect_hypodense`), on a CT in HU with the organ mask:

1. the robust z-score of the 3³-median-filtered HU inside the organ
   (:func:`medssl.preprocess.robust.robust_zscore`: median and IQR/1.349 of the
   organ, neighbours outside it counted at the organ's median);
2. seeds: ``z < -seed_z``; grown by hysteresis into the connected voxels with
   ``z < -grow_z`` (a tumour's rim is less dark than its core);
3. components smaller than ``min_mm3`` are dropped (parenchyma texture, noise);
4. the result is dilated by ``dilate_mm`` to take in the lesion's border.

Fill (:func:`fill_from_surroundings`): each suspect voxel takes the local mean of the
healthy organ around it (normalised Gaussian convolution, σ = 4 voxels) plus noise
with the healthy tissue's fine-scale spread, blended in with a feathered weight.

Unlike the brain's lesion fill (:mod:`medssl.methods.ld.lesion_fill`) there is no
left-right mirror: the liver has no contralateral twin. The parameters are fixed in
advance (:data:`DEFAULTS`); they are not fitted to any label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medssl.errors import MedsslError

DEFAULTS: dict[str, float] = {
    "seed_z": 3.0,
    "grow_z": 2.0,
    "min_mm3": 500.0,
    "dilate_mm": 2.0,
}


def ct_lesion_fill_options(options: dict[str, Any] | bool | None) -> dict[str, float] | None:
    """Validated options: ``None``/``False`` → off, ``True``/``{}`` → :data:`DEFAULTS`.

    Raises:
        MedsslError: An unknown key or a value out of range.
    """
    from medssl.methods.ld.lesion_fill import fill_options

    out = fill_options(options, DEFAULTS, what="CT lesion_fill")
    if out is None:
        return None
    if min(out.values()) < 0:
        raise MedsslError(f"CT lesion_fill options must be finite numbers >= 0; got {options}")
    if not 0 < out["grow_z"] <= out["seed_z"]:
        raise MedsslError(
            f"CT lesion_fill needs 0 < grow_z <= seed_z; got {out['grow_z']}, {out['seed_z']}"
        )
    return out


def suspect_hypodense(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    *,
    seed_z: float = DEFAULTS["seed_z"],
    grow_z: float = DEFAULTS["grow_z"],
    min_mm3: float = DEFAULTS["min_mm3"],
    dilate_mm: float = DEFAULTS["dilate_mm"],
) -> np.ndarray:
    """Boolean map of likely hypo-dense lesions inside ``roi`` (module docstring).

    Raises:
        MedsslError: An empty or constant organ.

    Shape:
        ``image``, ``roi`` and the result: (X, Y, Z).
    """
    from scipy import ndimage

    from medssl.preprocess.robust import MEDIAN_SIZE, robust_zscore

    roi = np.asarray(roi, dtype=bool)
    if not roi.any():
        raise MedsslError("CT lesion fill needs a nonempty organ mask")
    image = np.asarray(image, dtype=np.float32)
    filled = np.where(roi, image, np.float32(np.median(image[roi])))
    z = robust_zscore(ndimage.median_filter(filled, size=MEDIAN_SIZE, mode="nearest"), roi)
    structure = np.ones((3, 3, 3), dtype=bool)
    labels, count = ndimage.label((z < -grow_z) & roi, structure=structure)
    if count == 0:
        return np.zeros(roi.shape, dtype=bool)
    keep = np.zeros(count + 1, dtype=bool)
    keep[np.unique(labels[(z < -seed_z) & roi])] = True
    sizes = np.bincount(labels.ravel(), minlength=count + 1) * float(np.prod(spacing))
    keep &= sizes >= min_mm3
    keep[0] = False
    suspect = keep[labels]
    radius = [max(0, round(dilate_mm / s)) for s in spacing]
    if suspect.any() and max(radius) > 0:
        grid = np.ogrid[tuple(slice(-r, r + 1) for r in radius)]
        ball = sum((g / max(r, 1)) ** 2 for g, r in zip(grid, radius)) <= 1.0
        suspect = ndimage.binary_dilation(suspect, structure=ball)
    return suspect & roi


def fill_from_surroundings(
    image: np.ndarray, roi: np.ndarray, suspect: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``image`` with ``suspect`` voxels replaced by the healthy organ around them.

    Shape:
        ``image``, ``roi``, ``suspect`` and the result: (X, Y, Z).
    """
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float32)
    if not suspect.any():
        return image.copy()
    healthy = np.asarray(roi, bool) & ~suspect
    median = float(np.median(image[healthy])) if healthy.any() else float(image[roi].mean())
    weights = ndimage.gaussian_filter(healthy.astype(np.float32), sigma=4.0)
    local = ndimage.gaussian_filter(np.where(healthy, image, 0).astype(np.float32), sigma=4.0)
    local = np.where(weights > 0.05, local / np.maximum(weights, 1e-3), median)
    detail = (image - ndimage.gaussian_filter(image, sigma=1.0))[healthy]
    noise = ndimage.gaussian_filter(rng.standard_normal(image.shape).astype(np.float32), 0.7)
    noise *= float(detail.std()) / max(float(noise.std()), 1e-8) if detail.size else 0.0
    weight = ndimage.gaussian_filter(suspect.astype(np.float32), sigma=1.0)
    weight = np.maximum(weight, suspect.astype(np.float32)) * roi
    return ((1.0 - weight) * image + weight * (local + noise)).astype(np.float32)


def remove_ct_lesions(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    options: dict[str, float] | None = None,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(filled image, suspect map)``: :func:`suspect_hypodense`, then the fill."""
    suspect = suspect_hypodense(image, roi, spacing, **(options or DEFAULTS))
    rng = rng if rng is not None else np.random.default_rng(0)
    return fill_from_surroundings(image, roi, suspect, rng), suspect

"""Label-free removal of likely lesions from the 'normal' brain FLAIR volumes.

Layer decomposition learns that whatever appears in the normal layer ``x_n`` is
normal. With no healthy FLAIR at hand, the normal volumes are unlabelled patient
scans, and their real tumours would be taught as normal tissue: a model trained that
way keeps every real tumour in its normal layer and segments nothing. This module
replaces the voxels that look like lesions, found without any label, with tissue that
looks normal, before the volumes are used as ``x_n`` (and as texture sources).

Suspect map (:func:`suspect_lesions`), on a brain-masked FLAIR in RAS+ voxel order:

1. z-score inside the brain; with ``highpass_mm`` > 0, of the image minus its
   Gaussian-smoothed self (σ = ``highpass_mm``, normalised inside the brain), so that
   a smooth bias field of a raw scan (a bright cerebellum, a bright vertex) is not
   taken for a lesion while a focal plaque still is;
2. seeds: ``z > seed_z``; grown by hysteresis into the connected voxels with
   ``z > grow_z``;
3. components smaller than ``min_mm3`` are dropped (FLAIR noise, vessels);
4. *asymmetry*: a lesion rarely has a mirror image in the other hemisphere, while
   normal hyperintensities (cortex rims, the septum, periventricular caps) are
   roughly symmetric. A component is kept only when at most ``max_mirrored`` of its
   voxels are also suspect after a left-right flip about the brain's centre;
5. the result is dilated by ``dilate_mm`` to take in the lesion's faint border.

Fill (:func:`fill_lesions`): each suspect voxel takes the value of its left-right
mirror when that voxel is brain and not suspect (the contralateral hemisphere has the
same anatomy), else the local mean of the surrounding non-suspect tissue (Gaussian,
σ = 4 voxels) plus noise with that tissue's fine-scale spread. The fill is
blended in with a Gaussian-feathered weight so that no seam is left.

The parameters are fixed in advance (:data:`DEFAULTS`); they are not fitted to any
label. Axis 0 must be the left-right axis (the presets reorient to RAS+ first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.foreground import zscore_inside

DEFAULTS: dict[str, float] = {
    "seed_z": 2.0,
    "grow_z": 1.0,
    "min_mm3": 1000.0,
    "max_mirrored": 0.5,
    "dilate_mm": 4.0,
    "highpass_mm": 0.0,
}


def fill_options(
    options: dict[str, Any] | bool | None, defaults: dict[str, float], *, what: str
) -> dict[str, float] | None:
    """``None``/``False`` → None; ``True``/``{}`` → ``defaults``; else ``defaults``
    updated by ``options``, every value a finite float.

    Raises:
        MedsslError: An unknown key or a non-finite value.
    """
    if options is None or options is False:
        return None
    given = {} if options is True else dict(options)
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise MedsslError(f"unknown {what} option(s) {unknown}; valid: {sorted(defaults)}")
    out = {k: float(given.get(k, v)) for k, v in defaults.items()}
    if not np.isfinite(list(out.values())).all():
        raise MedsslError(f"{what} options must be finite numbers; got {given}")
    return out


def lesion_fill_options(options: dict[str, Any] | bool | None) -> dict[str, float] | None:
    """Validated options: ``None``/``False`` → off, ``True``/``{}`` → :data:`DEFAULTS`.

    Raises:
        MedsslError: An unknown key or a value out of range.
    """
    out = fill_options(options, DEFAULTS, what="lesion_fill")
    if out is None:
        return None
    given = options if isinstance(options, dict) else {}
    if out["grow_z"] > out["seed_z"]:
        raise MedsslError(
            f"lesion_fill.grow_z ({out['grow_z']}) must be <= seed_z ({out['seed_z']})"
        )
    if (
        min(out["min_mm3"], out["dilate_mm"], out["highpass_mm"]) < 0
        or not 0 <= out["max_mirrored"] <= 1
    ):
        raise MedsslError(
            "lesion_fill needs min_mm3, dilate_mm, highpass_mm >= 0 and max_mirrored in [0, 1]; "
            f"got {given}"
        )
    return out


def mirror_lr(array: np.ndarray, roi: np.ndarray) -> np.ndarray:
    """``array`` flipped left-right (axis 0) about the centre of ``roi``'s extent.

    Voxels whose mirror falls outside the volume get ``array``'s minimum (or False).
    """
    xs = np.flatnonzero(roi.any(axis=(1, 2)))
    centre2 = int(xs[0] + xs[-1])  # mirror of index i is centre2 - i
    n = array.shape[0]
    src = centre2 - np.arange(n)
    ok = (src >= 0) & (src < n)
    fill = False if array.dtype == bool else array.min()
    out = np.full_like(array, fill)
    out[ok] = array[src[ok]]
    return out


def suspect_lesions(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    *,
    seed_z: float = DEFAULTS["seed_z"],
    grow_z: float = DEFAULTS["grow_z"],
    min_mm3: float = DEFAULTS["min_mm3"],
    max_mirrored: float = DEFAULTS["max_mirrored"],
    dilate_mm: float = DEFAULTS["dilate_mm"],
    highpass_mm: float = DEFAULTS["highpass_mm"],
) -> np.ndarray:
    """Boolean map of likely lesions (see the module docstring), inside ``roi``.

    Shape:
        ``image``, ``roi`` and the result: (X, Y, Z), axis 0 left-right.
    """
    from scipy import ndimage

    roi = np.asarray(roi, dtype=bool)
    if not roi.any():
        raise MedsslError("lesion fill needs a nonempty brain region")
    image = np.asarray(image, dtype=np.float32)
    if highpass_mm > 0:
        sigma = [highpass_mm / s for s in spacing]
        weight = ndimage.gaussian_filter(roi.astype(np.float32), sigma)
        smooth = ndimage.gaussian_filter(np.where(roi, image, 0).astype(np.float32), sigma)
        image = np.where(roi, image - smooth / np.maximum(weight, 1e-3), 0).astype(np.float32)
    z = zscore_inside(image, roi)
    grow = (z > grow_z) & roi
    structure = np.ones((3, 3, 3), dtype=bool)
    labels, count = ndimage.label(grow, structure=structure)
    if count == 0:
        return np.zeros(roi.shape, dtype=bool)
    seeded = np.zeros(count + 1, dtype=bool)
    seeded[np.unique(labels[(z > seed_z) & roi])] = True
    seeded[0] = False
    voxel_mm3 = float(np.prod(spacing))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = seeded & (sizes * voxel_mm3 >= min_mm3)
    candidate = keep[labels]
    mirrored = mirror_lr(candidate, roi)
    both = np.bincount(labels[candidate & mirrored].ravel(), minlength=count + 1)
    keep &= both <= max_mirrored * np.maximum(sizes, 1)
    suspect = keep[labels]
    radius = [max(0, round(dilate_mm / s)) for s in spacing]
    if suspect.any() and max(radius) > 0:
        grid = np.ogrid[tuple(slice(-r, r + 1) for r in radius)]
        ball = sum((g / max(r, 1)) ** 2 for g, r in zip(grid, radius)) <= 1.0
        suspect = ndimage.binary_dilation(suspect, structure=ball)
    return suspect & roi


def fill_lesions(image: np.ndarray, roi: np.ndarray, suspect: np.ndarray) -> np.ndarray:
    """``image`` with ``suspect`` voxels replaced by contralateral (or median) tissue.

    Shape:
        ``image``, ``roi``, ``suspect`` and the result: (X, Y, Z).
    """
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float32)
    if not suspect.any():
        return image.copy()
    healthy = roi & ~suspect
    median = float(np.median(image[healthy])) if healthy.any() else float(image[roi].mean())
    # Where the mirror is no help (a lesion across the midline): the local mean of the
    # healthy tissue around it, with noise of the healthy tissue's fine-scale spread.
    weights = ndimage.gaussian_filter(healthy.astype(np.float32), sigma=4.0)
    local = ndimage.gaussian_filter(np.where(healthy, image, 0).astype(np.float32), sigma=4.0)
    local = np.where(weights > 1e-3, local / np.maximum(weights, 1e-3), median)
    detail = (image - ndimage.gaussian_filter(image, sigma=1.0))[healthy]
    noise = np.random.default_rng(0).standard_normal(image.shape).astype(np.float32)
    noise = ndimage.gaussian_filter(noise, sigma=0.7)
    noise *= float(detail.std()) / max(float(noise.std()), 1e-8) if detail.size else 0.0
    mirror_ok = mirror_lr(healthy, roi)
    source = np.where(mirror_ok, mirror_lr(image, roi), local + noise)
    weight = ndimage.gaussian_filter(suspect.astype(np.float32), sigma=1.0)
    weight = np.maximum(weight, suspect.astype(np.float32)) * roi
    return ((1.0 - weight) * image + weight * source).astype(np.float32)


def remove_lesions(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    options: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(filled image, suspect map)``: :func:`suspect_lesions` then :func:`fill_lesions`."""
    suspect = suspect_lesions(image, roi, spacing, **(options or DEFAULTS))
    return fill_lesions(image, roi, suspect), suspect

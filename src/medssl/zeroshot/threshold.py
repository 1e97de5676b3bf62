"""A label-free baseline for FLAIR lesions: z-score inside the brain, then threshold.

Tumours and oedema are hyperintense on FLAIR, so voxels several standard deviations
above the brain's mean intensity are a strong, training-free guess of the whole
tumour. The baseline uses no label anywhere:

1. The brain is the given mask, or else the foreground of the skull-stripped image
   (:func:`foreground`): the nonzero voxels or, for an image without zeros whose
   background was shifted by a normalisation (BraTS FLAIR z-scored inside the brain
   stores the background as one constant negative value), the voxels above that
   constant minimum.
2. Intensities inside it are z-scored with the brain's own mean and standard deviation.
3. Voxels with ``z > z_threshold`` are kept.
4. Light cleanup: connected components (26-connectivity) smaller than ``min_voxels``
   voxels are removed; ``min_voxels=0`` switches it off.

An empty result is a valid answer (no voxel above the threshold).
"""

from __future__ import annotations

import numpy as np

from medssl.errors import MedsslError

BACKGROUND_MIN_FRACTION = 0.1


def foreground(image: np.ndarray) -> np.ndarray:
    """Voxels that are not background in a skull-stripped image.

    The background is the voxels equal to 0. An image with no zero voxel whose minimum
    value fills at least 10% of the volume has that constant as its background (an
    image normalised after skull stripping); otherwise every voxel is foreground.
    """
    image = np.asarray(image)
    zero = image == 0
    if zero.any():
        return ~zero
    low = image == image.min()
    if low.mean() >= BACKGROUND_MIN_FRACTION:
        return ~low
    return np.ones(image.shape, dtype=bool)


def has_background(image: np.ndarray) -> bool:
    """Whether :func:`foreground` finds any background voxel."""
    return not bool(foreground(image).all())


def brain_region(
    image: np.ndarray, mask: np.ndarray | None = None, *, source: str | None = None
) -> np.ndarray:
    """The boolean brain region: ``mask > 0`` when given, else :func:`foreground`.

    Raises:
        MedsslError: A mask of another shape, or an empty region.
    """
    if mask is not None:
        if mask.shape != image.shape:
            raise MedsslError(
                f"brain mask shape {mask.shape} must equal the image shape {image.shape} ({source})"
            )
        region = np.asarray(mask) > 0
        rule = "mask voxels > 0"
    else:
        region = foreground(image)
        rule = "foreground (nonzero, above-background) voxels"
    if not region.any():
        raise MedsslError(f"brain region is empty: no {rule} in {source or 'the image'}")
    return region


def zscore_inside(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Z-score ``image`` with the mean and std of ``region``; 0 outside it.

    A constant region gets std 1 (all z are then 0).
    """
    values = np.asarray(image, dtype=np.float64)[region]
    mean, std = float(values.mean()), float(values.std())
    std = std if std > 1e-8 else 1.0
    out = np.zeros(image.shape, dtype=np.float32)
    out[region] = ((values - mean) / std).astype(np.float32)
    return out


def remove_small_components(mask: np.ndarray, min_voxels: int) -> np.ndarray:
    """Drop 26-connected components with fewer than ``min_voxels`` voxels."""
    from scipy import ndimage

    if min_voxels <= 1 or not mask.any():
        return mask.astype(bool)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_voxels
    keep[0] = False
    return keep[labels]


def zscore_threshold(
    image: np.ndarray,
    *,
    z: float = 2.0,
    brain_mask: np.ndarray | None = None,
    min_voxels: int = 100,
    source: str | None = None,
) -> np.ndarray:
    """Label-free FLAIR lesion mask: brain z-score above ``z``, small blobs removed.

    Args:
        image: A skull-stripped FLAIR (any intensity scale).
        z: Threshold in brain standard deviations.
        brain_mask: Brain mask; default: :func:`foreground` of ``image``.
        min_voxels: Smallest connected component kept (0 keeps all).
        source: The image file, for error messages.

    Returns:
        A boolean mask of the image's shape.

    Raises:
        MedsslError: A non-finite ``z``, a negative ``min_voxels``, an empty brain or a
            mask of the wrong shape.

    Shape:
        ``image``, ``brain_mask`` and the result: (X, Y, Z).
    """
    if not np.isfinite(z):
        raise MedsslError(f"z threshold must be a finite number; got {z}")
    if int(min_voxels) < 0:
        raise MedsslError(f"min_voxels must be >= 0; got {min_voxels}")
    image = np.asarray(image)
    if image.ndim != 3:
        raise MedsslError(f"image must be 3D; got shape {image.shape} ({source})")
    region = brain_region(image, brain_mask, source=source)
    scores = zscore_inside(image, region)
    mask = (scores > z) & region
    return remove_small_components(mask, int(min_voxels))

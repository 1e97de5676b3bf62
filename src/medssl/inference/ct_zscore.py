"""A label-free baseline for hypo-dense CT lesions: robust z-score inside the organ.

Liver tumours (metastases, most hepatocellular carcinomas in the portal phase) and
cysts are darker than the parenchyma around them. Inside a given organ mask:

1. the HU are median-filtered (``median_size``³ voxels) against CT noise, voxels
   outside the organ taking the organ's median HU (so the fat around it does not
   darken the organ's rim);
2. they are z-scored robustly with the organ's own statistics: the median, and the
   interquartile range scaled by 1/1.349 (the IQR of a normal distribution is 1.349
   standard deviations), so tumour voxels barely move the reference;
3. voxels with ``z < -k`` are kept (hypo-dense);
4. connected components (26-connectivity) smaller than ``min_voxels`` are removed.

``k`` is fixed a priori, :data:`DEFAULT_K` = 1.5 robust standard deviations, never
tuned on labelled tumours. An empty result is a valid answer.
"""

from __future__ import annotations

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.robust import IQR_PER_SD, MEDIAN_SIZE, robust_zscore

#: Threshold of the CT baseline, in robust standard deviations below the organ's median.
DEFAULT_K = 1.5

__all__ = ["DEFAULT_K", "IQR_PER_SD", "MEDIAN_SIZE", "hypodense_threshold", "robust_zscore"]


def hypodense_threshold(
    image: np.ndarray,
    roi: np.ndarray,
    *,
    k: float = DEFAULT_K,
    median_size: int = MEDIAN_SIZE,
    min_voxels: int = 100,
    source: str | None = None,
) -> np.ndarray:
    """Label-free hypo-dense lesion mask of a CT inside an organ mask.

    Args:
        image: The CT in HU.
        roi: The organ mask.
        k: Threshold in robust standard deviations below the organ's median (> 0).
        median_size: Side of the median filter (1: none).
        min_voxels: Smallest connected component kept (0 keeps all).
        source: The image file, for error messages.

    Returns:
        A boolean mask of the image's shape, inside ``roi``.

    Raises:
        MedsslError: A non-positive or non-finite ``k``, a bad ``median_size`` or
            ``min_voxels``, shapes that differ, or an empty or constant ROI.

    Shape:
        ``image``, ``roi`` and the result: (X, Y, Z).
    """
    from scipy import ndimage

    from medssl.inference.zscore import remove_small_components

    if not (np.isfinite(k) and k > 0):
        raise MedsslError(f"k (--z) must be a positive number for the CT baseline; got {k}")
    if int(median_size) < 1 or int(min_voxels) < 0:
        raise MedsslError(
            f"median_size must be >= 1 and min_voxels >= 0; got {median_size}, {min_voxels}"
        )
    image, roi = np.asarray(image), np.asarray(roi, dtype=bool)
    if image.ndim != 3 or image.shape != roi.shape:
        raise MedsslError(
            f"image {image.shape} and organ ROI {roi.shape} must be 3D of one shape ({source})"
        )
    if not roi.any():
        raise MedsslError(f"the organ ROI is empty ({source})")
    pad = int(median_size) // 2 + 1  # filter a box around the organ only
    box = tuple(
        slice(max(0, int(idx.min()) - pad), int(idx.max()) + pad + 1) for idx in np.nonzero(roi)
    )
    crop, inside = np.asarray(image[box], np.float32), roi[box]
    if median_size > 1:  # neighbours outside the organ count as the organ's median
        crop = np.where(inside, crop, np.float32(np.median(crop[inside])))
        crop = ndimage.median_filter(crop, size=int(median_size), mode="nearest")
    scores = robust_zscore(crop, inside, source=source)
    mask = np.zeros(image.shape, dtype=bool)
    mask[box] = (scores < -float(k)) & inside
    return remove_small_components(mask, int(min_voxels))

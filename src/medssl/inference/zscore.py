"""A label-free baseline for FLAIR lesions: z-score inside the brain, then threshold.

Tumours and oedema are hyperintense on FLAIR, so voxels several standard deviations
above the brain's mean intensity are a strong, training-free guess of the whole
tumour. The baseline uses no label anywhere:

1. The brain is the given mask, or else the foreground of the skull-stripped image
   (:func:`medssl.preprocess.foreground.foreground`): the nonzero voxels or, for an
   image without zeros whose background was shifted by a normalisation (BraTS FLAIR
   z-scored inside the brain stores the background as one constant negative value),
   the voxels above that constant minimum.
2. Intensities inside it are z-scored with the brain's own mean and standard deviation.
3. Voxels with ``z > z_threshold`` are kept.
4. Light cleanup: connected components (26-connectivity) smaller than ``min_voxels``
   voxels are removed; ``min_voxels=0`` switches it off.

An empty result is a valid answer (no voxel above the threshold).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.inference.predictor import NetOutput, Predictor
from medssl.io import Image
from medssl.preprocess.foreground import brain_region, zscore_inside


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
        brain_mask: Brain mask; default: the foreground of ``image``.
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


class ZScorePredictor(Predictor):
    """The z-score threshold baseline as a predictor of the inference loop.

    Works on the scan as it is (empty pipeline): :func:`zscore_threshold` of the image.

    Args:
        z: Threshold in brain standard deviations.
        min_voxels: Smallest connected component kept.
        channel: Channel of 4D inputs.

    Raises:
        MedsslError: A non-finite ``z`` or a negative ``min_voxels``.
    """

    name = "z-score baseline"

    def __init__(self, *, z: float = 2.0, min_voxels: int = 100, channel: int | None = None):
        if not np.isfinite(z):
            raise MedsslError(f"z threshold must be a finite number; got {z}")
        if int(min_voxels) < 0:
            raise MedsslError(f"min_voxels must be >= 0; got {min_voxels}")
        self.z, self.min_voxels, self.channel = float(z), int(min_voxels), channel

    def check(self, image: Image) -> list[str]:
        from medssl.inference.ld import check_input

        return check_input(image, modality="FLAIR")

    def predict(self, sample: Any) -> NetOutput:
        source = sample.source_geometry.source
        mask = zscore_threshold(sample.image, z=self.z, min_voxels=self.min_voxels, source=source)
        return NetOutput(maps={"mask": mask.astype(np.uint8)}, labels=("mask",))

"""Label-free baselines: FLAIR lesions by a z-score inside the brain, then threshold.

CT lesions (hypo-dense, inside an organ) are :mod:`medssl.inference.ct_zscore`'s;
:class:`ZScorePredictor` runs either.

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


#: Default thresholds: FLAIR (brain standard deviations above the mean) and CT (robust
#: standard deviations below the organ's median, :data:`medssl.inference.ct_zscore.DEFAULT_K`).
DEFAULT_Z = {"FLAIR": 2.0, "CT": 1.5}
MODALITIES = tuple(DEFAULT_Z)


def guess_modality(image: Image) -> str:
    """``"CT"`` for a Hounsfield-like range (values below −500), else ``"FLAIR"``."""
    return "CT" if float(np.min(image.array)) < -500 else "FLAIR"


class ZScorePredictor(Predictor):
    """The z-score threshold baselines as a predictor of the inference loop.

    Works on the scan as it is (empty pipeline). FLAIR: :func:`zscore_threshold`
    (hyperintense, inside the brain or the ROI). CT: :func:`~medssl.inference.ct_zscore.
    hypodense_threshold` (hypo-dense, inside the organ ROI, which it needs).

    Args:
        z: Threshold; default per modality (:data:`DEFAULT_Z`).
        min_voxels: Smallest connected component kept.
        channel: Channel of 4D inputs.
        modality: ``"FLAIR"`` or ``"CT"``; ``None``: per scan (:func:`guess_modality`).
        roi_of: The organ (or brain) mask of a scan, on its grid.

    Raises:
        MedsslError: A non-finite ``z``, a negative ``min_voxels``, an unknown modality.
    """

    name = "z-score baseline"

    def __init__(
        self,
        *,
        z: float | None = None,
        min_voxels: int = 100,
        channel: int | None = None,
        modality: str | None = None,
        roi_of=None,
    ):
        from medssl.inference.roi import RoiCache

        if z is not None and not np.isfinite(z):
            raise MedsslError(f"z threshold must be a finite number; got {z}")
        if int(min_voxels) < 0:
            raise MedsslError(f"min_voxels must be >= 0; got {min_voxels}")
        if modality is not None and modality not in MODALITIES:
            raise MedsslError(f"modality must be one of {', '.join(MODALITIES)}; got '{modality}'")
        self.z, self.min_voxels, self.channel = z, int(min_voxels), channel
        self.modality = modality
        self.rois = RoiCache(roi_of) if roi_of is not None else None
        self._modalities: dict[str, str] = {}

    def check(self, image: Image) -> list[str]:
        from medssl.inference.ld import check_input

        source = str(image.geometry.source)
        modality = self.modality or guess_modality(image)
        notes = check_input(image, modality=modality)
        if modality == "CT" and self.rois is None:
            raise MedsslError(
                f"{source}: the CT z-score baseline works inside an organ; give --roi or "
                "--roi-from-transfer"
            )
        if self.rois is not None:
            self.rois.build(image)
        self._modalities[source] = modality
        return notes

    def predict(self, sample: Any) -> NetOutput:
        from medssl.inference.ct_zscore import hypodense_threshold

        source = sample.source_geometry.source
        roi = None if self.rois is None else self.rois.get(source, sample.image.shape)
        modality = self._modalities.get(str(source)) or self.modality or "FLAIR"
        z = DEFAULT_Z[modality] if self.z is None else self.z
        if modality == "CT":
            mask = hypodense_threshold(
                sample.image, roi, k=z, min_voxels=self.min_voxels, source=source
            )
        else:
            mask = zscore_threshold(
                sample.image, z=z, brain_mask=roi, min_voxels=self.min_voxels, source=source
            )
            if roi is not None:
                mask &= roi
        return NetOutput(maps={"mask": mask.astype(np.uint8)}, labels=("mask",))

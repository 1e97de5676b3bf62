"""The foreground of a skull-stripped scan, as arrays and as a preprocessing step.

Skull-stripped brain scans store the background as 0, or, after a normalisation, as
one constant value (BraTS FLAIR z-scored inside the brain keeps its background at a
negative constant). :func:`foreground` finds the brain in both cases;
:func:`zscore_inside` normalises inside it. The ``foreground_roi`` step puts it in
``State.roi`` so that the ROI-based crop and z-score steps of :mod:`medssl.preprocess`
use it. A given ROI (a brain mask) is kept as is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.step import State, Step, register_step

BACKGROUND_MIN_FRACTION = 0.1


def foreground(image: np.ndarray) -> np.ndarray:
    """Voxels that are not background in a skull-stripped image.

    The background is one constant: 0 when zeros fill at least 10% of the volume;
    else the minimum when it does (an image normalised after skull stripping, such as
    BraTS FLAIR z-scored inside the brain, whose brain may hold a few exact zeros);
    else 0 when the image is non-negative and has zeros (a tight crop of a raw scan).
    Otherwise every voxel is foreground.
    """
    image = np.asarray(image)
    zero = image == 0
    if zero.mean() >= BACKGROUND_MIN_FRACTION:
        return ~zero
    low = image == image.min()
    if low.mean() >= BACKGROUND_MIN_FRACTION:
        return ~low
    if zero.any() and image.min() == 0:
        return ~zero
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


@register_step
@dataclass(frozen=True)
class ForegroundROI(Step):
    """Set ``roi`` to the image foreground unless an ROI was given.

    Moves no voxel, so its inverse is the identity.

    Raises:
        MedsslError: If the image has no foreground voxel.
    """

    name = "foreground_roi"

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        if state.roi is not None:
            return state, {"step": self.name, "given": True}
        roi = foreground(state.image)
        if not roi.any():
            raise MedsslError(f"image has no foreground (non-background) voxels: {state.source}")
        new = dataclasses.replace(state, roi=roi.astype(np.uint8), roi_source=state.source)
        return new, {"step": self.name, "given": False, "voxels": int(roi.sum())}

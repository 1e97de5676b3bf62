"""Intensity normalisations of MRI that do not depend on the scanner's units.

All three steps work inside a mask (the brain ROI, or the nonzero voxels) and set
every voxel outside it to exactly 0, like :class:`medssl.preprocess.zscore.ZScore`:

- ``robust_scale``: ``(x − median) / IQR`` inside the mask; a few bright lesions or
  a heavy tail of hyper-intense voxels barely move the median and the IQR, whereas
  they shift a mean and inflate a standard deviation. With ``erode`` the median and
  IQR come from the mask's interior only: a scan resampled to thick slices after skull
  stripping mixes the background into the brain's outer voxels, and those
  partial-volume voxels would otherwise widen the IQR.
- ``percentile_scale``: the mask's percentiles ``low``/``high`` are mapped to
  ``out_range`` (default −1..1): a linear map fixed by two order statistics.
- ``histogram_standardise``: the piecewise-linear standardisation of Nyúl, Udupa and
  Zhang (IEEE TMI 2000), as in TorchIO's ``HistogramStandardization`` (TorchIO is not
  a dependency here): the image's percentiles ``PERCENTILES`` are mapped to fixed
  ``landmarks`` learned from training scans with :func:`train_landmarks`, linearly
  in between and beyond. The landmarks live on the median/IQR scale.

Every step records what it measured, so a run can be audited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.step import State, Step, register_step

PERCENTILES: tuple[float, ...] = (1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 99.0)
_MASKS = ("nonzero", "roi")


def _masked(state: State, mask: str, what: str = "normalisation") -> tuple[np.ndarray, np.ndarray]:
    """The float image and the boolean mask the statistics come from.

    ``what`` names the step in the messages.

    Raises:
        MedsslError: Unknown mask, ``roi`` without an ROI, or an empty mask.
    """
    if mask not in _MASKS:
        raise MedsslError(f"{what} mask must be one of {', '.join(_MASKS)}; got '{mask}'")
    image = state.image.astype(np.float32, copy=False)
    if mask == "roi":
        if state.roi is None:
            raise MedsslError(f"{what} with mask='roi' needs an ROI for {state.source}")
        region = state.roi > 0
    else:
        region = image != 0
    if not region.any():
        raise MedsslError(f"{what} mask '{mask}' selects no voxels in {state.source}")
    return image, region


def _write(image: np.ndarray, region: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(image, dtype=np.float32)
    out[region] = values.astype(np.float32)
    return out


@register_step
@dataclass(frozen=True)
class RobustScale(Step):
    """``(x − median) / IQR`` inside the mask; 0 outside.

    Args:
        mask: ``"roi"`` (the pipeline's ROI, e.g. a brain mask) or ``"nonzero"``.
        erode: Voxels (6-connected steps) peeled off the mask before the median and
            IQR are measured; the whole mask is still mapped. A mask with no interior
            left is measured whole.
    """

    name = "robust_scale"
    mask: str = "roi"
    erode: int = 0

    def __post_init__(self) -> None:
        if int(self.erode) < 0:
            raise MedsslError(f"robust_scale erode must be >= 0 voxels; got {self.erode}")

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        from scipy import ndimage

        image, region = _masked(state, self.mask)
        values = image[region]
        measured = region
        if self.erode:
            interior = ndimage.binary_erosion(region, iterations=int(self.erode))
            measured = interior if interior.any() else region
        q25, median, q75 = (float(v) for v in np.percentile(image[measured], [25.0, 50.0, 75.0]))
        iqr = q75 - q25 if q75 - q25 > 1e-8 else 1.0
        out = _write(image, region, (values - median) / iqr)
        record = {"step": self.name, "median": median, "iqr": iqr}
        return dataclasses.replace(state, image=out), record


@register_step
@dataclass(frozen=True)
class PercentileScale(Step):
    """Map the mask's percentiles ``percentiles`` linearly to ``out_range``; 0 outside.

    Args:
        mask: ``"roi"`` or ``"nonzero"``.
        percentiles: Low and high percentile, ``0 <= low < high <= 100``.
        out_range: Where they land.
    """

    name = "percentile_scale"
    mask: str = "roi"
    percentiles: tuple[float, float] = (1.0, 99.0)
    out_range: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        pct = tuple(float(v) for v in self.percentiles)
        if len(pct) != 2 or not 0.0 <= pct[0] < pct[1] <= 100.0:
            raise MedsslError(
                f"percentile_scale percentiles must satisfy 0 <= low < high <= 100; "
                f"got {self.percentiles!r}"
            )
        out = tuple(float(v) for v in self.out_range)
        if len(out) != 2 or not out[0] < out[1]:
            raise MedsslError(
                f"percentile_scale out_range must be (low, high), low < high; got {self.out_range!r}"
            )
        object.__setattr__(self, "percentiles", pct)
        object.__setattr__(self, "out_range", out)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        image, region = _masked(state, self.mask)
        values = image[region]
        low, high = (float(v) for v in np.percentile(values, self.percentiles))
        span = high - low if high - low > 1e-8 else 1.0
        a, b = self.out_range
        out = _write(image, region, a + (values - low) / span * (b - a))
        record = {"step": self.name, "low": low, "high": high}
        return dataclasses.replace(state, image=out), record


@register_step
@dataclass(frozen=True)
class HistogramStandardise(Step):
    """Nyúl piecewise-linear histogram standardisation inside the mask; 0 outside.

    Args:
        landmarks: Standard intensities of :data:`PERCENTILES`, increasing (from
            :func:`train_landmarks`).
        mask: ``"roi"`` or ``"nonzero"``.
    """

    name = "histogram_standardise"
    landmarks: tuple[float, ...] = ()
    mask: str = "roi"

    def __post_init__(self) -> None:
        marks = tuple(float(v) for v in self.landmarks)
        if len(marks) != len(PERCENTILES) or np.any(np.diff(marks) <= 0):
            raise MedsslError(
                f"histogram_standardise needs {len(PERCENTILES)} increasing landmarks "
                f"(medssl.preprocess.robust_norm.train_landmarks); got {list(self.landmarks)}"
            )
        object.__setattr__(self, "landmarks", marks)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        image, region = _masked(state, self.mask)
        values = image[region]
        source = _strictly_increasing(np.percentile(values, PERCENTILES))
        mapped = _piecewise(values, source, np.asarray(self.landmarks))
        out = _write(image, region, mapped)
        record = {"step": self.name, "source_landmarks": [float(v) for v in source]}
        return dataclasses.replace(state, image=out), record


def _strictly_increasing(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).copy()
    for k in range(1, values.size):
        values[k] = max(values[k], values[k - 1] + 1e-6)
    return values


def _piecewise(values: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Linear between landmarks, extended linearly with the end segments' slopes."""
    out = np.interp(values, source, target)
    low_slope = (target[1] - target[0]) / (source[1] - source[0])
    high_slope = (target[-1] - target[-2]) / (source[-1] - source[-2])
    out = np.where(values < source[0], target[0] + (values - source[0]) * low_slope, out)
    return np.where(values > source[-1], target[-1] + (values - source[-1]) * high_slope, out)


def train_landmarks(images: Sequence[np.ndarray], masks: Sequence[np.ndarray]) -> list[float]:
    """Standard landmarks: each scan's percentiles in its own median/IQR units, averaged.

    The landmarks so live on the scale of :class:`RobustScale` (median 0, IQR 1), the
    scale the brain synthesis preset expects of a normalised FLAIR.

    Shape:
        ``images[k]`` and ``masks[k]``: the same (X, Y, Z).

    Raises:
        MedsslError: No scans, mismatched shapes or an empty mask.
    """
    if not images or len(images) != len(masks):
        raise MedsslError(
            f"train_landmarks needs as many masks as images (>= 1); "
            f"got {len(images)} and {len(masks)}"
        )
    rows = []
    for image, mask in zip(images, masks):
        if np.shape(image) != np.shape(mask):
            raise MedsslError(
                f"image and mask shapes differ: {np.shape(image)} vs {np.shape(mask)}"
            )
        values = np.asarray(image, dtype=np.float64)[np.asarray(mask) > 0]
        if values.size == 0:
            raise MedsslError("train_landmarks: a mask selects no voxels")
        q25, median, q75 = np.percentile(values, [25.0, 50.0, 75.0])
        iqr = q75 - q25 if q75 - q25 > 1e-8 else 1.0
        rows.append((_strictly_increasing(np.percentile(values, PERCENTILES)) - median) / iqr)
    return [float(v) for v in _strictly_increasing(np.mean(rows, axis=0))]

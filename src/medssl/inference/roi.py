"""Predictions kept inside an organ: a per-scan ROI for the inference loop's predictors.

:class:`InsideRoi` wraps a predictor so that its mask is kept inside the region of
interest (ROI) of each scan; :class:`RoiCache` builds each scan's ROI once, while the
inputs are validated (:meth:`Predictor.check`), so a bad ROI stops the run before
anything is written. Where ROIs come from: :mod:`medssl.zeroshot.roi`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.inference.predictor import NetOutput, Prediction, Predictor
from medssl.io import Image


class RoiCache:
    """ROIs of the scans of one run, built once per scan (at validation)."""

    def __init__(self, roi_of: Callable[[Image], np.ndarray]) -> None:
        self.roi_of = roi_of
        self._rois: dict[str, np.ndarray] = {}

    def build(self, image: Image) -> np.ndarray:
        key = str(image.geometry.source)
        if key not in self._rois:
            self._rois[key] = np.asarray(self.roi_of(image), dtype=bool)
        return self._rois[key]

    def get(self, source: str | Path | None, shape: Sequence[int]) -> np.ndarray:
        roi = self._rois.get(str(source))
        if roi is None or tuple(roi.shape) != tuple(shape):
            raise MedsslError(f"no organ ROI was built for {source}")
        return roi


def organ_range_note(image: Image, roi: np.ndarray, trained: tuple[float, float]) -> list[str]:
    """One line when the organ's median HU lies outside the range the model trained on."""
    median = float(np.median(np.asarray(image.array)[roi]))
    low, high = trained
    if low <= median <= high:
        return []
    line = (
        f"{image.geometry.source}: the organ's median is {median:.0f} HU, outside the "
        f"{low:.0f}-{high:.0f} HU of the organs the model was trained on; expect false "
        "positives (a contrast phase the model has not seen)"
    )
    return [line]


class InsideRoi(Predictor):
    """A predictor whose mask is kept inside each scan's organ ROI.

    Args:
        inner: The predictor wrapped (layer decomposition, ...).
        roi_of: The organ mask of a scan (e.g. a :class:`RoiSource`).
    """

    def __init__(self, inner: Predictor, roi_of: Callable[[Image], np.ndarray]) -> None:
        self.inner = inner
        self.rois = RoiCache(roi_of)
        self.name = f"{inner.name} inside the ROI"
        self.pipeline, self.channel = inner.pipeline, inner.channel
        self.device = inner.device
        self.threshold = getattr(inner, "threshold", 0.5)

    def to(self, device: str) -> InsideRoi:
        self.inner.to(device)
        self.device = self.inner.device
        return self

    def check(self, image: Image) -> list[str]:
        notes = self.inner.check(image)
        roi = self.rois.build(image)
        trained = getattr(getattr(self.inner, "ld", None), "organ_hu_range", None)
        if trained is not None and roi.any():
            notes += organ_range_note(image, roi, trained)
        return notes

    def organ(self, image: Image) -> Image | None:
        """The ROI, for a preprocessing that measures inside the organ (``organ_window``)."""
        if not getattr(self.inner, "reads_organ", False):
            return None
        roi = self.rois.get(image.geometry.source, image.geometry.shape)
        return Image(roi.astype(np.uint8), image.geometry)

    def predict(self, sample: Any) -> NetOutput:
        return self.inner.predict(sample)

    def finish(self, image: Image, maps: dict[str, np.ndarray], out: NetOutput) -> Prediction:
        from medssl.inference.ld import plausibility

        prediction = self.inner.finish(image, maps, out)
        roi = self.rois.get(image.geometry.source, image.geometry.shape)
        mask = np.asarray(prediction.mask)
        prediction.mask = np.where(roi, mask, 0).astype(mask.dtype)
        voxel_mm3 = float(abs(np.linalg.det(np.asarray(image.geometry.affine)[:3, :3])))
        prediction.summary = plausibility(prediction.mask, roi, voxel_mm3) | {"region": "organ"}
        return prediction

"""MRI intensity preset: z-score inside the head/body (or a brain mask), zero outside."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.step import State, Step, register_step

_MASKS = ("nonzero", "above_min", "roi")


@register_step
@dataclass(frozen=True)
class ZScore(Step):
    """Clip to percentiles, then z-score over a mask; voxels outside stay exactly 0.

    Percentiles, mean and standard deviation are computed over the mask's voxels only.
    A constant image inside the mask gets standard deviation 1 (values become 0).

    Args:
        mask: ``"nonzero"`` (voxels of the image that are not 0), ``"above_min"``
            (voxels above the image's minimum, for a constant background that is not
            0) or ``"roi"`` (voxels where the ROI given to the pipeline is > 0, e.g. a
            brain mask). Voxels outside the mask become 0.
        percentiles: Lower and upper clipping percentiles, e.g. ``(0.5, 99.5)``;
            ``(0, 100)`` disables clipping.

    Raises:
        MedsslError: Unknown mask, bad percentiles, an empty mask, or ``"roi"`` without
            an ROI.
    """

    name = "zscore"
    mask: str = "nonzero"
    percentiles: tuple[float, float] = (0.5, 99.5)

    def __post_init__(self) -> None:
        if self.mask not in _MASKS:
            raise MedsslError(f"z-score mask must be one of {', '.join(_MASKS)}; got '{self.mask}'")
        pct = tuple(float(v) for v in self.percentiles)
        if len(pct) != 2 or not 0.0 <= pct[0] < pct[1] <= 100.0:
            raise MedsslError(
                f"z-score percentiles must satisfy 0 <= low < high <= 100; got {self.percentiles!r}"
            )
        object.__setattr__(self, "percentiles", pct)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        image = state.image.astype(np.float32, copy=False)
        if self.mask == "roi":
            if state.roi is None:
                raise MedsslError(
                    f"z-score with mask='roi' needs an ROI (e.g. a brain mask) for {state.source}"
                )
            mask = state.roi > 0
            where = state.roi_source
        elif self.mask == "above_min":
            mask = image > image.min()
            where = state.source
        else:
            mask = image != 0
            where = state.source
        values = image[mask]
        if values.size == 0:
            raise MedsslError(f"z-score mask '{self.mask}' selects no voxels in {where}")
        low, high = np.percentile(values, self.percentiles)
        values = np.clip(values, low, high)
        mean, std = float(values.mean()), float(values.std())
        std = std if std > 1e-8 else 1.0
        out = np.zeros_like(image, dtype=np.float32)
        out[mask] = (values - mean) / std
        record = {
            "step": self.name,
            "mask": self.mask,
            "clip": [float(low), float(high)],
            "mean": mean,
            "std": std,
        }
        return dataclasses.replace(state, image=out), record

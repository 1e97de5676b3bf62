"""CT intensity preset: clip a Hounsfield window, then scale it linearly to a range."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.step import State, Step, register_step


@register_step
@dataclass(frozen=True)
class CTWindow(Step):
    """Clip to ``[low, high]`` HU and map that window linearly onto ``out_range``.

    The default window (-175 to 250 HU) is the usual abdominal soft-tissue window.
    Intensity steps do not move voxels, so inverting a prediction is the identity;
    the record keeps the window so that intensities can be mapped back by hand.

    Args:
        low: Lower end of the window in HU.
        high: Upper end of the window in HU.
        out_range: The output range, e.g. ``(0, 1)`` or ``(-1, 1)``.
    """

    name = "ct_window"
    low: float = -175.0
    high: float = 250.0
    out_range: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        if not float(self.low) < float(self.high):
            raise MedsslError(
                f"CT window must have low < high; got low={self.low}, high={self.high}"
            )
        out = tuple(float(v) for v in self.out_range)
        if len(out) != 2 or not out[0] < out[1]:
            raise MedsslError(
                f"CT out_range must be two increasing numbers; got {self.out_range!r}"
            )
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        object.__setattr__(self, "out_range", out)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        lo, hi = self.out_range
        image = np.clip(state.image.astype(np.float32, copy=False), self.low, self.high)
        image = (image - self.low) * np.float32((hi - lo) / (self.high - self.low)) + np.float32(lo)
        record = {
            "step": self.name,
            "low": self.low,
            "high": self.high,
            "out_range": list(self.out_range),
        }
        return dataclasses.replace(state, image=image.astype(np.float32, copy=False)), record

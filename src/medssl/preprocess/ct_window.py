"""CT intensity presets: a Hounsfield window scaled to a range, absolute or organ-relative.

- ``ct_window``: clip ``[low, high]`` HU and map it linearly onto ``out_range``.
- ``organ_window``: first move the organ's median HU to ``centre`` and scale its IQR
  to ``spread`` (a robust z-score of the organ written back in HU), then the same
  window. The organ is the pipeline's ROI, so that a liver scanned in any contrast
  phase, at any noise level, reaches the network looking the same; lesions keep their
  contrast relative to the organ around them, the quantity the z-score baseline
  (:mod:`medssl.inference.ct_zscore`) thresholds.
"""

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


#: Bounds of the factor that brings an organ's IQR to the reference spread.
SCALE_RANGE = (0.25, 4.0)


def organ_stats(
    image: np.ndarray, organ: np.ndarray, *, source: object = None
) -> tuple[float, float]:
    """Median and IQR (HU) of ``image`` over the boolean ``organ``.

    Raises:
        MedsslError: An empty organ mask (``source`` names the scan).
    """
    values = np.asarray(image, dtype=np.float32)[np.asarray(organ, dtype=bool)]
    if values.size == 0:
        raise MedsslError(f"organ_window: the organ mask of {source} is empty")
    q25, median, q75 = (float(v) for v in np.percentile(values, [25.0, 50.0, 75.0]))
    return median, max(q75 - q25, 1e-3)


@register_step
@dataclass(frozen=True)
class OrganWindow(CTWindow):
    """The organ's median HU moved to ``centre`` and its IQR scaled to ``spread``, then windowed.

    ``x' = centre + (x − median) · clip(spread / IQR, 0.25, 4)`` over the whole image,
    with the median and IQR measured inside the ROI (the organ), then :class:`CTWindow`.

    Args:
        centre: Where the organ's median lands (HU).
        spread: The organ's IQR after scaling (HU).
        low, high, out_range: The window, as :class:`CTWindow`.

    Raises:
        MedsslError: A spread that is not positive; at apply, no ROI or an empty one.
    """

    name = "organ_window"
    centre: float = 100.0
    spread: float = 17.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not float(self.spread) > 0:
            raise MedsslError(f"organ_window spread must be > 0 HU; got {self.spread}")
        object.__setattr__(self, "centre", float(self.centre))
        object.__setattr__(self, "spread", float(self.spread))

    def relative(self, image: np.ndarray, median: float, iqr: float) -> np.ndarray:
        """``image`` (HU) with the organ's ``median`` and ``iqr`` brought to the reference, windowed."""
        scale = float(np.clip(self.spread / iqr, *SCALE_RANGE))
        moved = (np.asarray(image, dtype=np.float32) - np.float32(median)) * np.float32(scale)
        state = State(image=moved + np.float32(self.centre), affine=np.eye(4))
        return CTWindow.apply(self, state)[0].image

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        if state.roi is None:
            raise MedsslError(
                f"{state.source}: this model reads CT relative to the organ; give the organ "
                "with --roi or --roi-from-transfer"
            )
        median, iqr = organ_stats(
            state.image, state.roi > 0, source=state.roi_source or state.source
        )
        image = self.relative(state.image, median, iqr)
        record = {
            "step": self.name, "median": median, "iqr": iqr, "centre": self.centre,
            "spread": self.spread, "low": self.low, "high": self.high,
            "out_range": list(self.out_range),
        }  # fmt: skip
        return dataclasses.replace(state, image=image), record

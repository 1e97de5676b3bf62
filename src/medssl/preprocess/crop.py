"""Crop to the bounding box of the foreground, or of an ROI mask, plus a margin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess._grid import translate
from medssl.preprocess.step import State, Step, per_channel, register_step

_SOURCES = ("image", "roi")


def bounding_box(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(start, stop)`` voxel indices of the smallest box holding every True voxel.

    The mask must hold at least one True voxel (callers check first).
    """
    starts, stops = [], []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other))
        starts.append(hits[0])
        stops.append(hits[-1] + 1)
    return np.asarray(starts), np.asarray(stops)


@register_step
@dataclass(frozen=True)
class Crop(Step):
    """Crop every array to a box around the foreground, widened by a margin.

    Args:
        source: ``"image"``: the voxels of the image that are nonzero (or above
            ``threshold``). ``"roi"``: the voxels of the ROI given to the pipeline that
            are > 0, or whose value is in ``roi_labels`` (e.g. ``[5]`` for the liver of
            a TotalSegmentator map).
        roi_labels: Which ROI values count as foreground; ``None`` means any > 0.
        threshold: For ``source="image"``, foreground is ``image > threshold``
            instead of ``image != 0`` (e.g. -500 HU for the body in a CT); ``"min"``
            means above the image's minimum (for a constant background that is not
            0, as in z-scored BraTS scans).
        margin_mm: Margin added on every side, in mm (rounded up to whole voxels and
            clipped to the image).

    Raises:
        MedsslError: An image without foreground voxels, an empty ROI, or ``"roi"``
            without an ROI; each names the file.
    """

    name = "crop"
    source: str = "image"
    roi_labels: tuple[int, ...] | None = None
    threshold: float | str | None = None
    margin_mm: float = 0.0

    def __post_init__(self) -> None:
        if self.source not in _SOURCES:
            raise MedsslError(
                f"crop source must be one of {', '.join(_SOURCES)}; got '{self.source}'"
            )
        if not float(self.margin_mm) >= 0:
            raise MedsslError(f"crop margin_mm must be >= 0; got {self.margin_mm}")
        if isinstance(self.threshold, str) and self.threshold != "min":
            raise MedsslError(
                f"crop threshold must be a number, 'min' or None; got '{self.threshold}'"
            )
        if self.roi_labels is not None:
            object.__setattr__(self, "roi_labels", tuple(int(v) for v in self.roi_labels))

    def foreground(self, state: State) -> np.ndarray:
        """The boolean mask whose bounding box is kept."""
        if self.source == "roi":
            if state.roi is None:
                raise MedsslError(f"crop to ROI needs an ROI mask for {state.source}; none given")
            mask = state.roi > 0 if self.roi_labels is None else np.isin(state.roi, self.roi_labels)
            if not mask.any():
                which = "> 0" if self.roi_labels is None else f"in {list(self.roi_labels)}"
                raise MedsslError(
                    f"ROI mask is empty: no voxel has a value {which} in {state.roi_source}"
                )
            return mask
        if self.threshold is None:
            mask = state.image != 0
            rule = "nonzero"
        elif self.threshold == "min":
            mask = state.image > state.image.min()
            rule = "above-minimum"
        else:
            mask = state.image > float(self.threshold)
            rule = f"above-{self.threshold}"
        if not mask.any():
            raise MedsslError(
                f"cannot crop to foreground: image has no {rule} voxels in {state.source}"
            )
        return mask

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        shape = np.asarray(state.image.shape)
        start, stop = bounding_box(self.foreground(state))
        margin = np.ceil(float(self.margin_mm) / np.asarray(state.spacing) - 1e-6).astype(int)
        start = np.maximum(start - margin, 0)
        stop = np.minimum(stop + margin, shape)
        box = tuple(slice(int(a), int(b)) for a, b in zip(start, stop, strict=True))

        def cut(array: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(array[box])

        record = {
            "step": self.name,
            "in_shape": shape.tolist(),
            "start": start.tolist(),
            "stop": stop.tolist(),
        }
        return state.map(cut, cut, translate(state.affine, start)), record

    @classmethod
    def invert(cls, array: np.ndarray, record: dict[str, Any], *, is_label: bool) -> np.ndarray:
        box = tuple(slice(a, b) for a, b in zip(record["start"], record["stop"], strict=True))

        def paste(channel: np.ndarray) -> np.ndarray:
            out = np.zeros(record["in_shape"], dtype=channel.dtype)
            out[box] = channel
            return out

        return per_channel(array, paste)

"""Bring an array to the fixed grid a network expects: pad/crop, resize, or both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess._grid import affine_to_list, resample_array, scaled_affine, translate
from medssl.preprocess.step import State, Step, per_channel, register_step

_MODES = ("pad", "resize", "fit")


def place(array: np.ndarray, out_shape: tuple[int, ...], offset, fill: float) -> np.ndarray:
    """Copy ``array`` into a ``fill``-valued array so that ``out[j] = array[j - offset]``.

    A positive offset pads before, a negative one crops; the far side follows.
    """
    out = np.full(out_shape, fill, dtype=array.dtype)
    src, dst = [], []
    for n_in, n_out, o in zip(array.shape, out_shape, offset, strict=True):
        lo, hi = max(0, o), min(n_out, n_in + o)
        dst.append(slice(lo, hi))
        src.append(slice(lo - o, hi - o))
    out[tuple(dst)] = array[tuple(src)]
    return out


@register_step
@dataclass(frozen=True)
class FitGrid(Step):
    """Give every array the shape ``size`` (e.g. 64³, 96³ or 128³).

    Args:
        size: Output shape, three integers or one for a cube.
        mode: ``"pad"``: centre-pad (and centre-crop an axis that is too long; the
            inverse fills the cut-off part with 0). ``"resize"``: stretch each axis to
            the size (linear for images, nearest for masks), changing the spacing
            anisotropically. ``"fit"``: scale all axes by one factor so that the
            longest just fits, then centre-pad; the aspect ratio is kept.
        pad_value: Image value used for padding (masks and labels pad with 0), e.g. -1
            for CT scaled to [-1, 1].
    """

    name = "fit_grid"
    size: tuple[int, int, int] | int = (96, 96, 96)
    mode: str = "fit"
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        size = np.atleast_1d(np.asarray(self.size))
        if size.size == 1:
            size = np.repeat(size, 3)
        if size.shape != (3,) or np.any(size < 1) or not np.all(size == np.round(size)):
            raise MedsslError(
                f"grid size must be one or three positive integers; got {self.size!r}"
            )
        if self.mode not in _MODES:
            raise MedsslError(
                f"fit_grid mode must be one of {', '.join(_MODES)}; got '{self.mode}'"
            )
        object.__setattr__(self, "size", tuple(int(v) for v in size))
        object.__setattr__(self, "pad_value", float(self.pad_value))

    def resized_shape(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """The shape after the resize part of the mode (before padding)."""
        n, size = np.asarray(shape, dtype=np.float64), np.asarray(self.size)
        if self.mode == "pad":
            return tuple(int(v) for v in n)
        if self.mode == "resize":
            return tuple(int(v) for v in size)
        factor = float(np.min(size / n))
        return tuple(int(v) for v in np.clip(np.round(n * factor), 1, size))

    def plan(
        self, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[tuple[int, ...], np.ndarray]:
        resized = self.resized_shape(tuple(shape))
        offset = [(s - r) // 2 for s, r in zip(self.size, resized, strict=True)]
        resized_affine = scaled_affine(np.asarray(affine, dtype=np.float64), shape, resized)
        return self.size, translate(resized_affine, [-o for o in offset])

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        in_shape, in_affine = tuple(state.image.shape), state.affine
        resized = self.resized_shape(in_shape)
        resized_affine = scaled_affine(in_affine, in_shape, resized)
        offset = [(s - r) // 2 for s, r in zip(self.size, resized, strict=True)]
        out_affine = translate(resized_affine, [-o for o in offset])
        changed = resized != in_shape

        def image_fn(array: np.ndarray) -> np.ndarray:
            if changed:
                array = resample_array(array, in_affine, resized, resized_affine, order=1)
            return place(array, self.size, offset, self.pad_value)

        def mask_fn(array: np.ndarray) -> np.ndarray:
            if changed:
                array = resample_array(array, in_affine, resized, resized_affine, order=0)
            return place(array, self.size, offset, 0)

        record = {
            "step": self.name,
            "mode": self.mode,
            "in_shape": list(in_shape),
            "in_affine": affine_to_list(in_affine),
            "resized_shape": list(resized),
            "resized_affine": affine_to_list(resized_affine),
            "offset": offset,
            "out_shape": list(self.size),
        }
        return state.map(image_fn, mask_fn, out_affine), record

    @classmethod
    def invert(cls, array: np.ndarray, record: dict[str, Any], *, is_label: bool) -> np.ndarray:
        resized, in_shape = tuple(record["resized_shape"]), tuple(record["in_shape"])
        back_offset = [-o for o in record["offset"]]

        def back(channel: np.ndarray) -> np.ndarray:
            out = place(channel, resized, back_offset, 0)
            if resized != in_shape:
                out = resample_array(
                    out,
                    np.asarray(record["resized_affine"]),
                    in_shape,
                    np.asarray(record["in_affine"]),
                    order=0 if is_label else 1,
                )
            return out

        return per_channel(array, back)

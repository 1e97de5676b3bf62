"""Two overlapping crop views of one volume, each with a receipt of how it was made.

The random part (:func:`draw_view_pair`) returns :class:`ViewReceipt` objects; the
deterministic part (:func:`apply_receipt`) cuts the box, resizes it to the network
input and flips it. A receipt holds the crop box in volume coordinates, its scale
and its flips, which is what PGL needs to bring the two views' feature maps back into
register (:mod:`medssl.losses.pgl_align`).

Coordinates: voxel ``k`` of an axis covers the continuous interval ``[k, k + 1)``; a
box is ``[start, start + size)``. Output voxel ``i`` of a view covers
``[start + i·size/n, start + (i + 1)·size/n)`` of the volume (``n`` the input size),
which is trilinear resizing with ``align_corners=False``.

Overlap rule: the second box is redrawn until the two boxes share at least
``min_overlap`` of the smaller box's volume. After ``max_draws`` failed draws the
fallback (``on_low_overlap="centre"``, default) centres the second box on the first,
clamped to the volume, which gives the largest overlap possible; with
``on_low_overlap="error"`` a :class:`MedsslError` is raised instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from medssl.errors import MedsslError

ON_LOW_OVERLAP = ("centre", "error")


@dataclass(frozen=True)
class ViewReceipt:
    """How one view was cut from its volume.

    Attributes:
        start: First voxel of the crop box along each axis (volume coordinates).
        size: Voxels of the crop box along each axis.
        flips: Whether the view was flipped along each axis (after resizing).
    """

    start: tuple[int, int, int]
    size: tuple[int, int, int]
    flips: tuple[bool, bool, bool]

    def scale(self, input_shape: Sequence[int]) -> tuple[float, float, float]:
        """Crop size over input size per axis (1.1 to 1.4 for PGL's views)."""
        return tuple(s / n for s, n in zip(self.size, input_shape))  # type: ignore[return-value]

    def box(self) -> np.ndarray:
        """``[[start...], [size...]]`` as float32 (2, 3), the form carried in batches."""
        return np.array([self.start, self.size], dtype=np.float32)


def overlap_fraction(a: ViewReceipt, b: ViewReceipt) -> float:
    """Volume of the boxes' intersection over the volume of the smaller box."""
    inter = 1.0
    for s0, n0, s1, n1 in zip(a.start, a.size, b.start, b.size):
        inter *= max(0, min(s0 + n0, s1 + n1) - max(s0, s1))
    return inter / min(float(np.prod(a.size)), float(np.prod(b.size)))


def _draw_size(
    rng: np.random.Generator, input_shape: Sequence[int], scale_range: tuple[float, float]
) -> tuple[int, int, int]:
    factor = rng.uniform(*scale_range)
    return tuple(max(n, round(factor * n)) for n in input_shape)  # type: ignore[return-value]


def _draw_flips(rng: np.random.Generator, p: float) -> tuple[bool, bool, bool]:
    return tuple(bool(f) for f in rng.random(3) < p)  # type: ignore[return-value]


def draw_view_pair(
    rng: np.random.Generator,
    volume_shape: Sequence[int],
    input_shape: Sequence[int],
    *,
    scale_range: tuple[float, float] = (1.1, 1.4),
    min_overlap: float = 0.1,
    max_draws: int = 100,
    on_low_overlap: str = "centre",
    flip_p: float = 0.5,
) -> tuple[ViewReceipt, ViewReceipt]:
    """Draw two crop boxes (each ``scale_range`` × the input size) and their flips.

    Args:
        rng: The only source of randomness.
        volume_shape: Shape of the volume; it must hold the largest box.
        input_shape: The network input each view is resized to.
        scale_range: Range of the crop size as a multiple of ``input_shape``.
        min_overlap: Least intersection, as a fraction of the smaller box.
        max_draws: Draws of the second box before the fallback.
        on_low_overlap: ``"centre"`` (centre the second box on the first) or ``"error"``.
        flip_p: Probability of flipping each axis of each view.

    Returns:
        The two receipts.

    Raises:
        MedsslError: If the volume is smaller than a box, or with ``"error"`` when no
            draw reaches ``min_overlap``.
    """
    if on_low_overlap not in ON_LOW_OVERLAP:
        raise MedsslError(
            f"on_low_overlap must be one of {', '.join(ON_LOW_OVERLAP)}; got {on_low_overlap!r}"
        )
    size1 = _draw_size(rng, input_shape, scale_range)
    size2 = _draw_size(rng, input_shape, scale_range)
    for size in (size1, size2):
        if any(n > v for n, v in zip(size, volume_shape)):
            raise MedsslError(
                f"volume of shape {tuple(volume_shape)} cannot hold a view box of {size}"
            )
    start1 = tuple(int(rng.integers(0, v - n + 1)) for v, n in zip(volume_shape, size1))
    first = ViewReceipt(start1, size1, _draw_flips(rng, flip_p))
    flips2 = _draw_flips(rng, flip_p)
    for _ in range(max_draws):
        start2 = tuple(int(rng.integers(0, v - n + 1)) for v, n in zip(volume_shape, size2))
        second = ViewReceipt(start2, size2, flips2)
        if overlap_fraction(first, second) >= min_overlap:
            return first, second
    if on_low_overlap == "error":
        raise MedsslError(
            f"views must overlap by at least {min_overlap:.0%} of the smaller box; "
            f"no draw reached it in {max_draws} tries (volume {tuple(volume_shape)}, "
            f"boxes {size1} and {size2})"
        )
    start2 = tuple(
        int(min(max(s + n // 2 - m // 2, 0), v - m))
        for s, n, m, v in zip(start1, size1, size2, volume_shape)
    )
    return first, ViewReceipt(start2, size2, flips2)


def apply_receipt(
    volume: np.ndarray, receipt: ViewReceipt, input_shape: Sequence[int]
) -> np.ndarray:
    """Cut the receipt's box, resize it trilinearly to ``input_shape``, apply its flips.

    Shape:
        ``volume``: (X, Y, Z); result ``input_shape``.
    """
    box = tuple(slice(s, s + n) for s, n in zip(receipt.start, receipt.size))
    crop = torch.from_numpy(np.ascontiguousarray(volume[box], dtype=np.float32))
    view = F.interpolate(
        crop[None, None], size=tuple(input_shape), mode="trilinear", align_corners=False
    )[0, 0]
    axes = [axis for axis, flip in enumerate(receipt.flips) if flip]
    if axes:
        view = view.flip(axes)
    return view.numpy()

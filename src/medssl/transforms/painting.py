"""In-painting and out-painting (Models Genesis).

Zhou et al., "Models Genesis", Medical Image Analysis 2021, section 3.1:

- **In-painting** replaces a few random inner boxes with uniform noise; the network
  must fill them from their surroundings.
- **Out-painting** replaces everything with uniform noise except a few random inner
  boxes; the network must extend the visible part outwards.

The box sizes follow the reference code: in-painting boxes have sides of 1/6 to 1/3 of
the volume's side, out-painting boxes 3/7 to 4/7, both kept 3 voxels from the border
(less on small volumes). After a first box, each further box (up to the maximum) is
added with probability 0.95. Noise is uniform in [0, 1), so the volume is expected in
[0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.transforms._checks import as_volume, check_positive_int, check_probability
from medssl.transforms.crop import Box

_MARGIN = 3


@dataclass(frozen=True)
class PaintingParams:
    """The drawn painting.

    Attributes:
        outpaint: True for out-painting (boxes kept, outside noised), False for
            in-painting (boxes noised, outside kept).
        boxes: The boxes; possibly empty for in-painting.
        noise_seed: Seed of the uniform noise (a seed keeps the parameters small).
    """

    outpaint: bool
    boxes: tuple[Box, ...]
    noise_seed: int


def painted_mask(shape: Sequence[int], params: PaintingParams) -> np.ndarray:
    """Which voxels the painting replaces with noise.

    Returns:
        A boolean array, True where the output is noise.

    Shape:
        ``shape``.
    """
    inside = np.zeros(tuple(shape), dtype=bool)
    for box in params.boxes:
        inside[box.slices] = True
    return ~inside if params.outpaint else inside


def painting(volume: np.ndarray, params: PaintingParams) -> np.ndarray:
    """Apply in-painting or out-painting.

    Args:
        volume: Intensities in [0, 1].
        params: From :meth:`RandomPainting.draw`.

    Returns:
        A new float32 array: noise where :func:`painted_mask` is True, ``volume`` elsewhere.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    noise = np.random.default_rng(params.noise_seed).random(array.shape, dtype=np.float32)
    if params.outpaint:
        out = noise
        for box in params.boxes:
            out[box.slices] = array[box.slices]
    else:
        out = array.copy()
        for box in params.boxes:
            out[box.slices] = noise[box.slices]
    return out


class RandomPainting:
    """Draw in-painting or out-painting with probability ``p``.

    Args:
        p: Probability of painting at all (paper: 0.9).
        outpaint_p: Probability, when painting, of out-painting rather than
            in-painting (paper: 0.8).
        max_boxes: Most boxes drawn (reference code: 5 for both).
        more_box_p: Probability of adding each box after the first (reference: 0.95).
            In-painting applies it to the first box too, as the reference code does.

    Raises:
        MedsslError: If a probability is outside [0, 1] or ``max_boxes`` < 1.
    """

    def __init__(
        self,
        *,
        p: float = 0.9,
        outpaint_p: float = 0.8,
        max_boxes: int = 5,
        more_box_p: float = 0.95,
    ) -> None:
        self.p = check_probability(p, name="painting probability p")
        self.outpaint_p = check_probability(outpaint_p, name="outpaint_p")
        self.max_boxes = check_positive_int(max_boxes, name="max_boxes")
        self.more_box_p = check_probability(more_box_p, name="more_box_p")

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> PaintingParams | None:
        """Draw the painting for a volume of ``shape``, or None when skipped."""
        if rng.random() >= self.p:
            return None
        outpaint = bool(rng.random() < self.outpaint_p)
        boxes: list[Box] = []
        if outpaint:
            boxes.append(_draw_box(rng, shape, outpaint=True))
        while len(boxes) < self.max_boxes and rng.random() < self.more_box_p:
            boxes.append(_draw_box(rng, shape, outpaint=outpaint))
        return PaintingParams(outpaint, tuple(boxes), int(rng.integers(0, 2**63 - 1)))

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, PaintingParams | None]:
        """Draw and apply; return the result and the parameters (None: unchanged copy)."""
        array = as_volume(volume)
        params = self.draw(rng, array.shape)
        if params is None:
            return array.copy(), None
        return painting(array, params), params


def _draw_box(rng: np.random.Generator, shape: Sequence[int], *, outpaint: bool) -> Box:
    """One box with the reference code's sizes, kept off the border where possible."""
    start, size = [], []
    for dim in shape:
        if outpaint:  # side = dim - U{3dim/7..4dim/7}: between 3/7 and 4/7 of dim
            side = dim - int(rng.integers(3 * dim // 7, 4 * dim // 7, endpoint=True))
        else:  # side in U{dim/6..dim/3}
            side = int(rng.integers(dim // 6, dim // 3, endpoint=True))
        side = min(max(side, 1), dim)
        margin = min(_MARGIN, (dim - side) // 2)
        start.append(int(rng.integers(margin, dim - side - margin, endpoint=True)))
        size.append(side)
    return Box(tuple(start), tuple(size))  # type: ignore[arg-type]

"""Non-linear intensity mapping by a Bézier curve (Models Genesis).

Zhou et al., "Models Genesis", Medical Image Analysis 2021, section 3.1: the
intensity of every voxel is sent through a smooth, monotonic curve

    B(t) = (1-t)³ P0 + 3(1-t)² t P1 + 3(1-t) t² P2 + t³ P3,

with end points P0 = (0, 0) and P3 = (1, 1) and two random control points P1 and
P2 in [0, 1]². Half of the time the curve is mirrored so that the mapping decreases
(bright becomes dark). The network must restore the original intensities, which
teaches it the appearance of each tissue.

The volume is expected in [0, 1]; values outside are clamped to the curve's ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.transforms._checks import as_volume, check_positive_int, check_probability

Point = tuple[float, float]


@dataclass(frozen=True)
class BezierParams:
    """The drawn curve.

    Attributes:
        points: The four control points P0..P3; P0 = (0, 0) and P3 = (1, 1).
        inverted: Mirror the mapping so that it decreases.
    """

    points: tuple[Point, Point, Point, Point]
    inverted: bool


def bezier_lookup(params: BezierParams, *, n_samples: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Sample the mapping as a lookup table for :func:`numpy.interp`.

    Both coordinates of the sampled curve are sorted, so the table is monotone even
    when the control points make the curve fold back on itself (as in the reference
    code). ``inverted`` reverses the outputs.

    Args:
        params: The curve.
        n_samples: Number of points on the curve.

    Returns:
        ``(xs, ys)``: inputs increasing from 0 to 1, outputs non-decreasing (or
        non-increasing when ``inverted``).

    Shape:
        Both (n_samples,).
    """
    n = check_positive_int(n_samples, name="n_samples", minimum=2)
    t = np.linspace(0.0, 1.0, n)[:, None]
    p = np.asarray(params.points, dtype=np.float64)
    curve = (
        (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
    )
    xs = np.sort(curve[:, 0])
    ys = np.sort(curve[:, 1])
    if params.inverted:
        ys = ys[::-1]
    return xs, ys


def apply_bezier(volume: np.ndarray, params: BezierParams, *, n_samples: int = 1000) -> np.ndarray:
    """Map every voxel's intensity through the curve.

    Args:
        volume: Intensities in [0, 1].
        params: The curve, from :meth:`RandomBezier.draw`.
        n_samples: Resolution of the lookup table.

    Returns:
        A new float32 array.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    xs, ys = bezier_lookup(params, n_samples=n_samples)
    return np.interp(array, xs, ys).astype(np.float32)


class RandomBezier:
    """Draw a Bézier intensity mapping with probability ``p``.

    Args:
        p: Probability of applying the mapping at all (paper: 0.9).
        invert_p: Probability, when applied, that the mapping decreases (paper: 0.5).

    Raises:
        MedsslError: If a probability is outside [0, 1].

    Example:
        >>> rng = np.random.default_rng(0)
        >>> params = RandomBezier(p=1.0).draw(rng, (8, 8, 8))
        >>> out = apply_bezier(np.zeros((8, 8, 8), np.float32), params)
    """

    def __init__(self, *, p: float = 0.9, invert_p: float = 0.5) -> None:
        self.p = check_probability(p, name="bezier probability p")
        self.invert_p = check_probability(invert_p, name="bezier invert_p")

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> BezierParams | None:
        """Draw the curve, or None when the mapping is skipped.

        Args:
            rng: The source of randomness.
            shape: Shape of the volume (unused; kept so all Genesis draws look alike).
        """
        if rng.random() >= self.p:
            return None
        p1, p2 = rng.random(2), rng.random(2)
        inverted = bool(rng.random() < self.invert_p)
        points = (
            (0.0, 0.0),
            (float(p1[0]), float(p1[1])),
            (float(p2[0]), float(p2[1])),
            (1.0, 1.0),
        )
        return BezierParams(points, inverted)

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, BezierParams | None]:
        """Draw and apply; return the result and the parameters (None: unchanged copy)."""
        array = as_volume(volume)
        params = self.draw(rng, array.shape)
        if params is None:
            return array.copy(), None
        return apply_bezier(array, params), params

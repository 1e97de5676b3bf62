"""Random flips (Models Genesis data augmentation).

As in the reference code of Zhou et al. (Models Genesis, MedIA 2021): with
probability ``p`` the volume is flipped along a random axis, then again with
probability ``p``, up to three times. In :class:`~medssl.transforms.genesis.GenesisTransform`
the flip is applied before the other transforms, so input and target are flipped alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume, check_positive_int, check_probability


@dataclass(frozen=True)
class FlipParams:
    """The drawn flips.

    Attributes:
        axes: The axes flipped, in the order drawn; an axis drawn twice cancels out.
    """

    axes: tuple[int, ...]

    @property
    def net_axes(self) -> tuple[int, ...]:
        """The axes flipped an odd number of times: the flip's net effect."""
        return tuple(a for a in range(3) if self.axes.count(a) % 2 == 1)


def flip(volume: np.ndarray, params: FlipParams) -> np.ndarray:
    """Flip ``volume`` along ``params.axes`` (its own inverse).

    Returns:
        A new contiguous float32 array.

    Raises:
        MedsslError: If an axis is not 0, 1 or 2.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    for axis in params.axes:
        if axis not in (0, 1, 2):
            raise MedsslError(f"Axis must be 0, 1 or 2; got {axis}")
    net = params.net_axes
    return np.ascontiguousarray(np.flip(array, axis=net) if net else array.copy())


class RandomFlip:
    """Draw up to ``max_flips`` flips, each with probability ``p``.

    Args:
        p: Probability of each successive flip (paper: 0.4).
        max_flips: Most flips drawn (reference code: 3).

    Raises:
        MedsslError: If ``p`` is not a probability or ``max_flips`` < 1.
    """

    def __init__(self, *, p: float = 0.4, max_flips: int = 3) -> None:
        self.p = check_probability(p, name="flip probability p")
        self.max_flips = check_positive_int(max_flips, name="max_flips")

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> FlipParams | None:
        """Draw the flips, or None when none is drawn.

        Args:
            rng: The source of randomness.
            shape: Shape of the volume (unused; kept so all Genesis draws look alike).
        """
        axes: list[int] = []
        while len(axes) < self.max_flips and rng.random() < self.p:
            axes.append(int(rng.integers(0, 3)))
        return FlipParams(tuple(axes)) if axes else None

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, FlipParams | None]:
        """Draw and apply; return the result and the parameters (None: unchanged copy)."""
        array = as_volume(volume)
        params = self.draw(rng, array.shape)
        if params is None:
            return array.copy(), None
        return flip(array, params), params

"""The Models Genesis restoration pair: a corrupted input and the original as target.

Zhou et al., "Models Genesis", Medical Image Analysis 2021. A sub-volume (64×64×32 in
the paper) is flipped (input and target alike), then its input copy goes through local
pixel shuffling, a Bézier intensity mapping and in- or out-painting, each with its own
probability. The network learns to restore the target from the input. The order and
default probabilities are those of the reference code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.transforms._checks import as_volume
from medssl.transforms.bezier import BezierParams, RandomBezier, apply_bezier
from medssl.transforms.flip import FlipParams, RandomFlip, flip
from medssl.transforms.local_shuffle import LocalShuffleParams, RandomLocalShuffle, local_shuffle
from medssl.transforms.painting import PaintingParams, RandomPainting, painting


@dataclass(frozen=True)
class GenesisConfig:
    """Probabilities and sizes of the Models Genesis transforms (paper defaults).

    Attributes:
        flip_p: Probability of each of up to three flips.
        local_shuffle_p: Probability of local pixel shuffling.
        n_shuffle_windows: Number of shuffled windows.
        bezier_p: Probability of the Bézier intensity mapping.
        bezier_invert_p: Probability that the mapping decreases.
        painting_p: Probability of in- or out-painting.
        outpaint_p: Probability of out-painting rather than in-painting.
    """

    flip_p: float = 0.4
    local_shuffle_p: float = 0.5
    n_shuffle_windows: int = 10_000
    bezier_p: float = 0.9
    bezier_invert_p: float = 0.5
    painting_p: float = 0.9
    outpaint_p: float = 0.8


@dataclass(frozen=True, eq=False)
class GenesisParams:
    """What was drawn for one sample; None where a transform was skipped."""

    flip: FlipParams | None
    local_shuffle: LocalShuffleParams | None
    bezier: BezierParams | None
    painting: PaintingParams | None


class GenesisTransform:
    """Make a (corrupted input, target) pair from a volume in [0, 1].

    Args:
        config: The probabilities; the paper's defaults when None.

    Raises:
        MedsslError: If a probability in ``config`` is outside [0, 1].

    Example:
        >>> rng = np.random.default_rng(0)
        >>> transform = GenesisTransform(GenesisConfig())
        >>> x, y = transform(rng.random((64, 64, 32)), rng)
    """

    def __init__(self, config: GenesisConfig | None = None) -> None:
        self.config = config or GenesisConfig()
        c = self.config
        self.flip = RandomFlip(p=c.flip_p)
        self.local_shuffle = RandomLocalShuffle(p=c.local_shuffle_p, n_windows=c.n_shuffle_windows)
        self.bezier = RandomBezier(p=c.bezier_p, invert_p=c.bezier_invert_p)
        self.painting = RandomPainting(p=c.painting_p, outpaint_p=c.outpaint_p)

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> GenesisParams:
        """Draw the parameters of every transform for a volume of ``shape``."""
        return GenesisParams(
            flip=self.flip.draw(rng, shape),
            local_shuffle=self.local_shuffle.draw(rng, shape),
            bezier=self.bezier.draw(rng, shape),
            painting=self.painting.draw(rng, shape),
        )

    @staticmethod
    def apply(volume: np.ndarray, params: GenesisParams) -> tuple[np.ndarray, np.ndarray]:
        """Apply drawn parameters.

        Args:
            volume: Intensities in [0, 1].
            params: From :meth:`draw`.

        Returns:
            ``(input, target)``, both new float32 arrays; ``target`` is the (possibly
            flipped) volume.

        Shape:
            (X, Y, Z) → (X, Y, Z), (X, Y, Z).
        """
        target = as_volume(volume)
        target = flip(target, params.flip) if params.flip else target.copy()
        x = target
        if params.local_shuffle:
            x = local_shuffle(x, params.local_shuffle)
        if params.bezier:
            x = apply_bezier(x, params.bezier)
        if params.painting:
            x = painting(x, params.painting)
        if x is target:
            x = target.copy()
        return x, target

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw and apply; return ``(input, target)``."""
        array = as_volume(volume)
        return self.apply(array, self.draw(rng, array.shape))

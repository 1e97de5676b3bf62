"""Tiny heads for synthesis tests: a ball-shaped organ on a 32³ grid at 2 mm."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SPACING = (2.0, 2.0, 2.0)


def make_head(seed: int, *, shape=(32, 32, 32), background: float = -3.0) -> np.ndarray:
    """A smooth z-scored texture inside a ball, a constant background outside."""
    rng = np.random.default_rng(seed)
    image = ndimage.gaussian_filter(rng.normal(size=shape), 1.5)
    roi = ball(shape)
    image = (image - image[roi].mean()) / image[roi].std()
    return np.where(roi, image, background).astype(np.float32)


def ball(shape=(32, 32, 32), radius: float = 0.85) -> np.ndarray:
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    return (grid**2).sum(0) < radius**2

"""Pretext-task transforms on preprocessed (X, Y, Z) float32 volumes.

Each transform keeps its randomness in one place: a ``Random*`` object (or ``draw_*``
function) takes a :class:`numpy.random.Generator` and returns a small parameter
dataclass, and a deterministic function applies those parameters.
"""

from medssl.transforms.bezier import BezierParams, RandomBezier, apply_bezier, bezier_lookup
from medssl.transforms.crop import Box, crop, draw_box, fit_volume
from medssl.transforms.flip import FlipParams, RandomFlip, flip
from medssl.transforms.genesis import GenesisConfig, GenesisParams, GenesisTransform
from medssl.transforms.local_shuffle import LocalShuffleParams, RandomLocalShuffle, local_shuffle
from medssl.transforms.painting import PaintingParams, RandomPainting, painted_mask, painting

__all__ = [
    "BezierParams",
    "Box",
    "FlipParams",
    "GenesisConfig",
    "GenesisParams",
    "GenesisTransform",
    "LocalShuffleParams",
    "PaintingParams",
    "RandomBezier",
    "RandomFlip",
    "RandomLocalShuffle",
    "RandomPainting",
    "apply_bezier",
    "bezier_lookup",
    "crop",
    "draw_box",
    "fit_volume",
    "flip",
    "local_shuffle",
    "painted_mask",
    "painting",
]

"""Pretext-task transforms on preprocessed (X, Y, Z) float32 volumes.

Each transform keeps its randomness in one place: a ``Random*`` object (or ``draw_*``
function) takes a :class:`numpy.random.Generator` and returns a small parameter
dataclass, and a deterministic function applies those parameters.

- Models Genesis: :mod:`~medssl.transforms.flip`, :mod:`~medssl.transforms.local_shuffle`,
  :mod:`~medssl.transforms.bezier`, :mod:`~medssl.transforms.painting`, composed by
  :mod:`~medssl.transforms.genesis`.
- SAR: :mod:`~medssl.transforms.scale_cube`.
- Taleb et al. 3D baselines: :mod:`~medssl.transforms.rotation`,
  :mod:`~medssl.transforms.jigsaw` (with :mod:`~medssl.transforms.permutations`),
  :mod:`~medssl.transforms.relative_patch`, on the grid of :mod:`~medssl.transforms.grid`.
"""

from medssl.transforms.bezier import BezierParams, RandomBezier, apply_bezier, bezier_lookup
from medssl.transforms.crop import Box, crop, draw_box, fit_volume
from medssl.transforms.flip import FlipParams, RandomFlip, flip
from medssl.transforms.genesis import GenesisConfig, GenesisParams, GenesisTransform
from medssl.transforms.grid import Grid, cut_tile, draw_jitter
from medssl.transforms.jigsaw import (
    JigsawConfig,
    JigsawParams,
    RandomJigsaw,
    draw_jigsaw,
    make_jigsaw,
)
from medssl.transforms.local_shuffle import LocalShuffleParams, RandomLocalShuffle, local_shuffle
from medssl.transforms.painting import PaintingParams, RandomPainting, painted_mask, painting
from medssl.transforms.permutations import (
    hamming_matrix,
    jigsaw_permutations,
    min_hamming_distance,
)
from medssl.transforms.relative_patch import (
    N_NEIGHBOURS,
    NEIGHBOURS,
    RandomRelativePatch,
    RplConfig,
    RplParams,
    draw_rpl,
    make_rpl,
    query_cell,
    rpl_boxes,
)
from medssl.transforms.rotation import (
    N_ROTATIONS,
    ROTATIONS,
    RandomRotation,
    RotationParams,
    draw_rotation,
    rotate,
    unrotate,
)
from medssl.transforms.scale_cube import (
    RandomScaleCube,
    ScaleCubeConfig,
    ScaleCubeParams,
    cube_size,
    cut_scale_cube,
    draw_scale_cube,
    padded_shape,
    resize,
)

__all__ = [
    "NEIGHBOURS",
    "N_NEIGHBOURS",
    "N_ROTATIONS",
    "ROTATIONS",
    "BezierParams",
    "Box",
    "FlipParams",
    "GenesisConfig",
    "GenesisParams",
    "GenesisTransform",
    "Grid",
    "JigsawConfig",
    "JigsawParams",
    "LocalShuffleParams",
    "PaintingParams",
    "RandomBezier",
    "RandomFlip",
    "RandomJigsaw",
    "RandomLocalShuffle",
    "RandomPainting",
    "RandomRelativePatch",
    "RandomRotation",
    "RandomScaleCube",
    "RotationParams",
    "RplConfig",
    "RplParams",
    "ScaleCubeConfig",
    "ScaleCubeParams",
    "apply_bezier",
    "bezier_lookup",
    "crop",
    "cube_size",
    "cut_scale_cube",
    "cut_tile",
    "draw_box",
    "draw_jigsaw",
    "draw_jitter",
    "draw_rotation",
    "draw_rpl",
    "draw_scale_cube",
    "fit_volume",
    "flip",
    "hamming_matrix",
    "jigsaw_permutations",
    "local_shuffle",
    "make_jigsaw",
    "make_rpl",
    "min_hamming_distance",
    "padded_shape",
    "painted_mask",
    "painting",
    "query_cell",
    "resize",
    "rotate",
    "rpl_boxes",
    "unrotate",
]

"""Tumour synthesis for layer decomposition (Zhang et al., "Self-supervised Tumor
Segmentation through Layer Decomposition").

Data flow: :func:`sample_params` draws shapes inside the ROI (:mod:`.placement`,
:mod:`.shape`, :mod:`.noise`, :mod:`.raster`), a texture transform (:mod:`.texture`)
and an opacity; :func:`apply_params` composes them (:mod:`.compose`);
:func:`synthesize` does both.
"""

from medssl.synthesis.compose import (
    TumourParams,
    TumourSample,
    apply_params,
    sample_params,
    sample_rng,
    synthesize,
)
from medssl.synthesis.config import SynthesisConfig, brain, liver, preset
from medssl.synthesis.noise import fractal_simplex3, simplex3
from medssl.synthesis.shape import ShapeParams, icosphere
from medssl.synthesis.texture import TextureParams

__all__ = [
    "ShapeParams",
    "SynthesisConfig",
    "TextureParams",
    "TumourParams",
    "TumourSample",
    "apply_params",
    "brain",
    "fractal_simplex3",
    "icosphere",
    "liver",
    "preset",
    "sample_params",
    "sample_rng",
    "simplex3",
    "synthesize",
]

"""Invertible preprocessing: a :class:`Pipeline` of recorded steps, presets, a disk cache.

Typical use::

    from medssl.io import read_image, read_label, write_image
    from medssl.preprocess import Pipeline, preset

    pipe = preset("ct_liver", target_spacing=1.5, grid=96)
    sample = pipe.apply(read_image(ct), roi=read_label(organs))
    mask = Pipeline.invert(prediction, sample.record, is_label=True)
    write_image(mask, sample.source_geometry, "mask.nii.gz")
"""

from medssl.preprocess.bias import BiasCorrect
from medssl.preprocess.budget import check_grid_size
from medssl.preprocess.cache import PreprocessCache, default_cache_root
from medssl.preprocess.crop import Crop
from medssl.preprocess.ct_window import CTWindow, OrganWindow
from medssl.preprocess.fit_grid import FitGrid
from medssl.preprocess.foreground import ForegroundROI
from medssl.preprocess.pipeline import PREPROCESS_VERSION, Pipeline
from medssl.preprocess.presets import PRESETS, preset
from medssl.preprocess.reorient import Reorient
from medssl.preprocess.resample import Resample
from medssl.preprocess.robust_norm import HistogramStandardise, PercentileScale, RobustScale
from medssl.preprocess.sample import Sample, source_geometry
from medssl.preprocess.step import STEPS, State, Step, register_step, step_from_config
from medssl.preprocess.zscore import ZScore

__all__ = [
    "PREPROCESS_VERSION",
    "PRESETS",
    "STEPS",
    "BiasCorrect",
    "CTWindow",
    "Crop",
    "FitGrid",
    "ForegroundROI",
    "HistogramStandardise",
    "OrganWindow",
    "PercentileScale",
    "Pipeline",
    "PreprocessCache",
    "Reorient",
    "Resample",
    "RobustScale",
    "Sample",
    "State",
    "Step",
    "ZScore",
    "check_grid_size",
    "default_cache_root",
    "preset",
    "register_step",
    "source_geometry",
    "step_from_config",
]

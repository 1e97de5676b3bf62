"""The layer-decomposition family: the ``ld`` method, its presets and its lesion fill.

- :mod:`medssl.methods.ld.method`: the ``ld`` pretraining method (synthetic tumours,
  three-layer UNet) and its dataset;
- :mod:`medssl.methods.ld.presets`: how scans of one kind are prepared for training
  and zero-shot inference (:func:`ld_preset`);
- :mod:`medssl.methods.ld.lesion_fill`: label-free removal of likely lesions from the
  normal FLAIR volumes.

Zero-shot inference with a trained model lives in :mod:`medssl.inference.ld`.
"""

from medssl.methods.ld.method import LayerDecomposition, LDDataset, Volume, load_volumes
from medssl.methods.ld.presets import LD_PRESETS, LDPreset, ld_preset, pipeline_of

__all__ = [
    "LD_PRESETS",
    "LDDataset",
    "LDPreset",
    "LayerDecomposition",
    "Volume",
    "ld_preset",
    "load_volumes",
    "pipeline_of",
]

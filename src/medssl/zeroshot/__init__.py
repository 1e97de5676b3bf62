"""Zero-shot tumour segmentation by layer decomposition, a threshold baseline, figures.

- :func:`segment_files` / :func:`decompose`: run an ``ld`` model on scans and write
  masks (and layers) in each scan's own grid (:mod:`medssl.zeroshot.segment`).
- :func:`load_ld_model`, :func:`package_weights`: find, check and ship ``ld`` weights.
- :func:`zscore_threshold`: the label-free FLAIR baseline.
- :func:`save_panel`: the axial/coronal/sagittal figure of one decomposition.
- :func:`ld_preset`: how scans of one kind are prepared for training and inference.

Heavy libraries (torch, MONAI, matplotlib) are imported inside the functions.
"""

from medssl.zeroshot.model_file import LDModel, load_ld_model, package_weights
from medssl.zeroshot.panel import save_panel
from medssl.zeroshot.presets import LD_PRESETS, LDPreset, ld_preset
from medssl.zeroshot.segment import Decomposition, decompose, segment_files
from medssl.zeroshot.threshold import foreground, zscore_threshold

__all__ = [
    "LD_PRESETS",
    "Decomposition",
    "LDModel",
    "LDPreset",
    "decompose",
    "foreground",
    "ld_preset",
    "load_ld_model",
    "package_weights",
    "save_panel",
    "segment_files",
    "zscore_threshold",
]

"""Per-method sample makers: datasets whose item ``i`` is re-made from ``(seed, i)``.

Random initialisation needs no views. Every factory has the signature
``make_*_dataset(volumes, *, seed, length, config=None, modalities=None, n_volumes=None)``.
"""

from medssl.views.dataset import (
    MODALITIES,
    SampleMaker,
    ViewDataset,
    VolumeLoader,
    VolumeSource,
    label_tensor,
    modality_class,
    to_tensor,
)
from medssl.views.genesis import GenesisSample, GenesisViewConfig, make_genesis_dataset
from medssl.views.jigsaw import JigsawSample, make_jigsaw_dataset
from medssl.views.pgl import PglSample, PglViewConfig, make_pgl_dataset
from medssl.views.receipts import ViewReceipt, apply_receipt, draw_view_pair
from medssl.views.rotation import RotationSample, RotationViewConfig, make_rotation_dataset
from medssl.views.rpl import RplSample, make_rpl_dataset
from medssl.views.sar import SarSample, SarViewConfig, make_sar_dataset

__all__ = [
    "MODALITIES",
    "GenesisSample",
    "GenesisViewConfig",
    "JigsawSample",
    "PglSample",
    "PglViewConfig",
    "RotationSample",
    "RotationViewConfig",
    "RplSample",
    "SampleMaker",
    "SarSample",
    "SarViewConfig",
    "ViewDataset",
    "ViewReceipt",
    "VolumeLoader",
    "VolumeSource",
    "apply_receipt",
    "draw_view_pair",
    "label_tensor",
    "make_genesis_dataset",
    "make_jigsaw_dataset",
    "make_pgl_dataset",
    "make_rotation_dataset",
    "make_rpl_dataset",
    "make_sar_dataset",
    "modality_class",
    "to_tensor",
]

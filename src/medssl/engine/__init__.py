"""The training engine: one :class:`Trainer` for every self-supervised method.

See :mod:`medssl.methods.base` for what a method provides, and
:mod:`medssl.engine.trainer` for what the engine does around it.
"""

from medssl.engine.checkpoint import load_checkpoint, save_checkpoint, unwrap
from medssl.engine.distributed import DistInfo, init_distributed
from medssl.engine.lars import LARS
from medssl.engine.optim import build_optimizer, build_optimizers
from medssl.engine.pretrain import pretrain
from medssl.engine.schedules import Schedule, lr_factor
from medssl.engine.seeding import derive_seed, epoch_rng, sample_rng
from medssl.engine.trainer import Trainer, TrainResult

__all__ = [
    "LARS",
    "DistInfo",
    "Schedule",
    "TrainResult",
    "Trainer",
    "build_optimizer",
    "build_optimizers",
    "derive_seed",
    "epoch_rng",
    "init_distributed",
    "load_checkpoint",
    "lr_factor",
    "pretrain",
    "sample_rng",
    "save_checkpoint",
    "unwrap",
]

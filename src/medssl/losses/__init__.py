"""Small loss modules, one concept per file."""

from medssl.losses.classification import classification_loss
from medssl.losses.confusion import confusion_loss
from medssl.losses.layer_decomposition import (
    ABLATIONS,
    LDLossConfig,
    compose,
    ld_loss,
    mask_dice_loss,
    masked_l1,
)
from medssl.losses.restoration import restoration_loss

__all__ = [
    "ABLATIONS",
    "LDLossConfig",
    "classification_loss",
    "compose",
    "confusion_loss",
    "ld_loss",
    "mask_dice_loss",
    "masked_l1",
    "restoration_loss",
]

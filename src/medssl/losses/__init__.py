"""Small loss modules, one concept per file."""

from medssl.losses.layer_decomposition import (
    ABLATIONS,
    LDLossConfig,
    compose,
    ld_loss,
    mask_dice_loss,
    masked_l1,
)

__all__ = ["ABLATIONS", "LDLossConfig", "compose", "ld_loss", "mask_dice_loss", "masked_l1"]

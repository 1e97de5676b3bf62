"""Convolution building blocks shared by the encoders and decoders.

Plain ``torch.nn`` layers are used (rather than MONAI's ``Convolution``) so that the
parameter names in saved weights stay stable across library versions.
"""

from __future__ import annotations

from torch import nn


def conv_bn_relu(in_channels: int, out_channels: int, *, kernel_size: int = 3) -> nn.Sequential:
    """One ``Conv3d → BatchNorm3d → ReLU`` with "same" padding and no conv bias.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)``.
    """
    return nn.Sequential(
        nn.Conv3d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm3d(out_channels),
        nn.ReLU(inplace=True),
    )


class DoubleConv(nn.Sequential):
    """Two 3×3×3 ``Conv → BN → ReLU``, the level block of the 3D UNet.

    Args:
        in_channels: Input channels.
        out_channels: Output channels of both convolutions.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            conv_bn_relu(in_channels, out_channels),
            conv_bn_relu(out_channels, out_channels),
        )


def init_weights(module: nn.Module) -> None:
    """Kaiming-normal convolutions and linear layers (fan-out, ReLU), unit BN, zero bias."""
    for m in module.modules():
        if isinstance(m, nn.Conv3d | nn.ConvTranspose3d | nn.Linear):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm3d | nn.BatchNorm1d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

"""A UNet-style decoder that fits any :class:`~medssl.models.base.Encoder`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.blocks import DoubleConv, layer


class UNetDecoder(nn.Module):
    """Upsample the coarsest feature map level by level, fusing each skip connection.

    At each level the coarser map is upsampled by a transposed convolution whose kernel
    and stride equal the ratio of the two levels' strides (2×2×2 for a plain UNet; a
    1×1×1 convolution where a dilated encoder keeps the resolution), concatenated with
    the skip, and passed through two 3×3×3 ``Conv → BN → ReLU``.

    Args:
        encoder_channels: ``encoder.out_channels`` (finest first).
        encoder_strides: ``encoder.strides`` (finest first, non-decreasing).
        decoder_channels: Output channels per level except the coarsest (finest first);
            default: the encoder's channels capped at 256.
        spatial_dims: 3 or 2 (the encoder's).

    Attributes:
        out_channels: Channels of the output (``decoder_channels[0]``).
        stride: Downsampling factor of the output (``encoder_strides[0]``).

    Raises:
        MedsslError: If the lists disagree in length or a stride ratio is not a whole
            number.

    Shape:
        Input: the encoder's feature list; output ``(N, out_channels, X/stride, ...)``.
    """

    def __init__(
        self,
        encoder_channels: Sequence[int],
        encoder_strides: Sequence[int],
        *,
        decoder_channels: Sequence[int] | None = None,
        spatial_dims: int = 3,
    ) -> None:
        super().__init__()
        conv, transpose = layer("conv", spatial_dims), layer("conv_transpose", spatial_dims)
        enc = list(encoder_channels)
        strides = list(encoder_strides)
        if len(enc) < 2 or len(enc) != len(strides):
            raise MedsslError(
                "decoder needs at least 2 encoder levels with one stride each; "
                f"got channels {enc} and strides {strides}"
            )
        dec = (
            [min(c, 256) for c in enc[:-1]] if decoder_channels is None else list(decoder_channels)
        )
        if len(dec) != len(enc) - 1:
            raise MedsslError(
                f"decoder_channels must have {len(enc) - 1} entries (one per skip level); got {dec}"
            )
        self.ups = nn.ModuleList()
        self.blocks = nn.ModuleList()
        for level in range(len(dec)):
            ratio, rest = divmod(strides[level + 1], strides[level])
            if rest or ratio < 1:
                raise MedsslError(f"encoder strides must each divide the next; got {strides}")
            coarse = enc[-1] if level == len(dec) - 1 else dec[level + 1]
            if ratio == 1:
                up: nn.Module = conv(coarse, dec[level], kernel_size=1)
            else:
                up = transpose(coarse, dec[level], kernel_size=ratio, stride=ratio)
            self.ups.append(up)
            self.blocks.append(
                DoubleConv(dec[level] + enc[level], dec[level], spatial_dims=spatial_dims)
            )
        self.out_channels: int = dec[0]
        self.stride: int = strides[0]
        self.decoder_channels: list[int] = dec

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        """Decode the encoder's feature list into one map at the finest level."""
        if len(features) != len(self.blocks) + 1:
            raise MedsslError(
                f"decoder expects {len(self.blocks) + 1} feature maps; got {len(features)}"
            )
        x = features[-1]
        for level in reversed(range(len(self.blocks))):
            x = self.ups[level](x)
            x = self.blocks[level](torch.cat([x, features[level]], dim=1))
        return x

"""The ResNet-50 + ASPP segmentation network of PGL's fine-tuning experiments.

Xie et al., "PGL", 2020 (after Chen et al., "DeepLabv3+", 2018), in 3D:

- the 3D ResNet encoder (:mod:`medssl.models.resnet3d`), output stride 16 by default;
- ASPP: three 3D separable convolutions (depthwise 3×3×3 with dilation 2, 4 and 8,
  then pointwise 1×1×1, BN, ReLU) on the last feature map, concatenated and fused by
  a 1×1×1 convolution;
- a decoder of four transposed-convolution blocks (each doubling the resolution, or
  keeping it where the encoder kept it), each followed by a residual block of two
  separable convolutions; the first three add a skip connection from the encoder
  (stride 8, 4 and 2), the last returns to the input resolution;
- a 1×1×1 prediction convolution (:class:`~medssl.models.segnet.SegNet`'s head).

The encoder is the same module that BYOL, PGL and the other methods pre-train, so any
medssl ResNet ``encoder.pt`` loads into it strictly
(:func:`medssl.models.load_encoder_weights`); weights of another architecture fail
with one line listing the keys that do not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.blocks import init_weights
from medssl.models.registry import MODELS
from medssl.models.resnet3d import ResNet3DEncoder, resnet3d50, resnet3d_tiny
from medssl.models.segnet import SegNet


class SeparableConv3d(nn.Sequential):
    """Depthwise 3×3×3 (dilated) → pointwise 1×1×1 → BN → ReLU.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, dilation: int = 1) -> None:
        super().__init__(
            nn.Conv3d(
                in_channels,
                in_channels,
                3,
                padding=dilation,
                dilation=dilation,
                groups=in_channels,
                bias=False,
            ),
            nn.Conv3d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm3d(out_channels),
            nn.ReLU(inplace=True),
        )


class ASPP3d(nn.Module):
    """Three dilated separable convolutions in parallel, concatenated and fused.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, channels, X, Y, Z)``.
    """

    def __init__(
        self, in_channels: int, channels: int, *, dilations: Sequence[int] = (2, 4, 8)
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            SeparableConv3d(in_channels, channels, dilation=d) for d in dilations
        )
        self.fuse = nn.Sequential(
            nn.Conv3d(channels * len(self.branches), channels, 1, bias=False),
            nn.BatchNorm3d(channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1))


class ResidualSeparable(nn.Module):
    """``x + sep(sep(x))`` with two separable convolutions.

    Shape:
        ``(N, C, X, Y, Z)`` → the same.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            SeparableConv3d(channels, channels), SeparableConv3d(channels, channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpBlock(nn.Module):
    """Transposed convolution (BN, ReLU), plus a projected skip, then a residual block.

    Args:
        in_channels: Channels of the coarser map.
        out_channels: Channels after the block.
        ratio: Upsampling factor per axis (1 keeps the size with a 1×1×1 kernel).
        skip_channels: Channels of the skip connection, or None for none.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        ratio: Sequence[int],
        skip_channels: int | None = None,
    ) -> None:
        super().__init__()
        ratio = tuple(int(r) for r in ratio)
        self.up = nn.Sequential(
            nn.ConvTranspose3d(in_channels, out_channels, ratio, stride=ratio, bias=False),
            nn.BatchNorm3d(out_channels),
            nn.ReLU(inplace=True),
        )
        self.skip = (
            None
            if skip_channels is None
            else nn.Sequential(
                nn.Conv3d(skip_channels, out_channels, 1, bias=False), nn.BatchNorm3d(out_channels)
            )
        )
        self.residual = ResidualSeparable(out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        x = self.up(x)
        if self.skip is not None and skip is not None:
            x = x + self.skip(skip)
        return self.residual(x)


class ASPPDecoder(nn.Module):
    """ASPP on the last map, then four up blocks with skips at strides 8, 4 and 2.

    Args:
        encoder: A :class:`~medssl.models.resnet3d.ResNet3DEncoder`.
        aspp_channels: Channels of the ASPP output.
        decoder_channels: Channels of the four up blocks (coarsest first).

    Attributes:
        out_channels: ``decoder_channels[-1]``.
        stride: 1 (the output has the input's size).

    Shape:
        Input: the encoder's feature list; output ``(N, out_channels, X, Y, Z)``.
    """

    def __init__(
        self,
        encoder: ResNet3DEncoder,
        *,
        aspp_channels: int = 256,
        decoder_channels: Sequence[int] = (256, 128, 64, 32),
    ) -> None:
        super().__init__()
        channels = [int(c) for c in decoder_channels]
        if len(channels) != 4 or min(channels) < 1:
            raise MedsslError(
                f"decoder_channels must be 4 positive widths; got {list(decoder_channels)}"
            )
        strides = [tuple(s) for s in encoder.axis_strides]
        self.aspp = ASPP3d(encoder.out_channels[-1], aspp_channels)
        # Target levels: the stage-2, stage-1 and stem maps (skips), then the input.
        levels = [(strides[2], encoder.out_channels[2]), (strides[1], encoder.out_channels[1])]
        levels += [(strides[0], encoder.out_channels[0]), ((1, 1, 1), None)]
        current, c_in = strides[-1], aspp_channels
        self.blocks = nn.ModuleList()
        for (target, skip), c_out in zip(levels, channels):
            ratio = tuple(c // t for c, t in zip(current, target))
            self.blocks.append(UpBlock(c_in, c_out, ratio=ratio, skip_channels=skip))
            current, c_in = target, c_out
        self.out_channels: int = channels[-1]
        self.stride: int = 1

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        x = self.aspp(features[-1])
        skips = [features[2], features[1], features[0], None]
        for block, skip in zip(self.blocks, skips):
            x = block(x, skip)
        return x


def aspp_segnet(
    encoder: ResNet3DEncoder,
    *,
    out_channels: int,
    aspp_channels: int,
    decoder_channels: Sequence[int],
) -> SegNet:
    """A :class:`SegNet` of ``encoder``, :class:`ASPPDecoder` and a 1×1×1 prediction conv."""
    decoder = ASPPDecoder(encoder, aspp_channels=aspp_channels, decoder_channels=decoder_channels)
    init_weights(decoder)
    model = SegNet(encoder, decoder, out_channels=out_channels)
    init_weights(model.head)
    return model


@MODELS.register("resnet3d50_aspp")
def resnet3d50_aspp(
    *,
    in_channels: int = 1,
    out_channels: int = 2,
    base_width: int = 64,
    output_stride: int | Sequence[int] = 16,
    aspp_channels: int = 256,
    decoder_channels: Sequence[int] = (256, 128, 64, 32),
) -> SegNet:
    """3D ResNet-50 + ASPP + four-block decoder (PGL's fine-tuning network)."""
    encoder = resnet3d50(
        in_channels=in_channels, base_width=base_width, output_stride=output_stride
    )
    return aspp_segnet(
        encoder,
        out_channels=out_channels,
        aspp_channels=aspp_channels,
        decoder_channels=decoder_channels,
    )


@MODELS.register("resnet3d_tiny_aspp")
def resnet3d_tiny_aspp(
    *,
    in_channels: int = 1,
    out_channels: int = 2,
    base_width: int = 4,
    output_stride: int | Sequence[int] = 16,
    aspp_channels: int = 8,
    decoder_channels: Sequence[int] = (8, 8, 4, 4),
) -> SegNet:
    """The same network on :func:`~medssl.models.resnet3d.resnet3d_tiny`, for tests."""
    encoder = resnet3d_tiny(
        in_channels=in_channels, base_width=base_width, output_stride=output_stride
    )
    return aspp_segnet(
        encoder,
        out_channels=out_channels,
        aspp_channels=aspp_channels,
        decoder_channels=decoder_channels,
    )

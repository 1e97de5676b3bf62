"""The 3D UNet of Models Genesis, SAR and layer-decomposition pretraining (and its 2D twin).

Zhou et al., "Models Genesis: Generic Autodidactic Models for 3D Medical Image
Analysis", MICCAI 2019 (the network follows Çiçek et al., "3D U-Net", MICCAI 2016).

Encoder: ``num_levels`` levels of two 3×3×3 ``Conv → BN → ReLU`` with
``base_width · 2^i`` channels (32-64-128-256 by default), a 2×2×2 max-pool between
levels and none after the deepest. Decoder: per level a 2×2×2 transposed convolution
to the skip's width, concatenation with the skip, two 3×3×3 ``Conv → BN → ReLU``.
Head: a 1×1×1 convolution. With ``spatial_dims=2`` the same network is built from 2D
layers (``create_model("unet_nd", spatial_dims=2)``), for slice-wise and 2.5D methods.
"""

from __future__ import annotations

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.base import check_input
from medssl.models.blocks import DoubleConv, check_spatial_dims, init_weights, layer
from medssl.models.decoder import UNetDecoder
from medssl.models.registry import MODELS
from medssl.models.segnet import SegNet


class UNet3DEncoder(nn.Module):
    """The contracting path of the 3D UNet.

    Args:
        in_channels: Input channels.
        base_width: Channels of the first level; level ``i`` has ``base_width · 2^i``.
        num_levels: Number of levels (4 as in Models Genesis).
        spatial_dims: 3 (volumes) or 2 (slices).

    Attributes:
        out_channels: ``[base_width · 2^i for i in range(num_levels)]``.
        strides: ``[2^i for i in range(num_levels)]``.
        size_divisor: ``2^(num_levels - 1)``.

    Raises:
        MedsslError: For a non-positive width or fewer than 2 levels.

    Shape:
        ``(N, in_channels, X, Y, Z)`` → list of ``(N, out_channels[i], X/2^i, Y/2^i,
        Z/2^i)``; the last item is the bottleneck.
    """

    def __init__(
        self,
        in_channels: int = 1,
        *,
        base_width: int = 32,
        num_levels: int = 4,
        spatial_dims: int = 3,
    ) -> None:
        super().__init__()
        self.spatial_dims: int = check_spatial_dims(spatial_dims)
        if in_channels < 1 or base_width < 1:
            raise MedsslError(
                f"in_channels and base_width must be >= 1; got {in_channels} and {base_width}"
            )
        if num_levels < 2:
            raise MedsslError(f"num_levels must be >= 2; got {num_levels}")
        self.in_channels: int = in_channels
        self.out_channels: list[int] = [base_width * 2**i for i in range(num_levels)]
        self.strides: list[int] = [2**i for i in range(num_levels)]
        self.size_divisor: int = self.strides[-1]
        widths = [in_channels, *self.out_channels]
        self.levels = nn.ModuleList(
            DoubleConv(widths[i], widths[i + 1], spatial_dims=spatial_dims)
            for i in range(num_levels)
        )
        self.pool = layer("max_pool", spatial_dims)(kernel_size=2, stride=2)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of every level, finest first."""
        check_input(
            x,
            in_channels=self.in_channels,
            size_divisor=self.size_divisor,
            name="unet3d" if self.spatial_dims == 3 else "unet (2D)",
            spatial_dims=self.spatial_dims,
        )
        features = []
        for i, level in enumerate(self.levels):
            x = level(x if i == 0 else self.pool(x))
            features.append(x)
        return features


class UNet3D(SegNet):
    """The full 3D UNet: ``encoder`` (:class:`UNet3DEncoder`), ``decoder``, ``head``.

    Args:
        in_channels: Input channels.
        out_channels: Output channels (classes, or image channels for restoration).
        base_width: Channels of the first level.
        num_levels: Number of encoder levels.
        spatial_dims: 3 (volumes) or 2 (slices; ``(N, C, X, Y)`` in and out).

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)`` logits; sizes must
        be multiples of ``2^(num_levels - 1)`` (8 by default).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        *,
        base_width: int = 32,
        num_levels: int = 4,
        spatial_dims: int = 3,
    ) -> None:
        encoder = UNet3DEncoder(
            in_channels, base_width=base_width, num_levels=num_levels, spatial_dims=spatial_dims
        )
        decoder = UNetDecoder(
            encoder.out_channels,
            encoder.strides,
            decoder_channels=encoder.out_channels[:-1],
            spatial_dims=spatial_dims,
        )
        super().__init__(encoder, decoder, out_channels=out_channels)
        init_weights(self.decoder)
        init_weights(self.head)


@MODELS.register("unet3d")
def unet3d(
    *, in_channels: int = 1, out_channels: int = 1, base_width: int = 32, num_levels: int = 4
) -> UNet3D:
    """The Models Genesis 3D UNet (32-64-128-256 channels by default)."""
    return UNet3D(in_channels, out_channels, base_width=base_width, num_levels=num_levels)


@MODELS.register("unet3d_tiny")
def unet3d_tiny(
    *, in_channels: int = 1, out_channels: int = 1, base_width: int = 4, num_levels: int = 4
) -> UNet3D:
    """A 4-8-16-32 channel 3D UNet for tests."""
    return UNet3D(in_channels, out_channels, base_width=base_width, num_levels=num_levels)


@MODELS.register("unet_nd")
def unet_nd(
    *,
    spatial_dims: int = 3,
    in_channels: int = 1,
    out_channels: int = 1,
    base_width: int = 32,
    num_levels: int = 4,
) -> UNet3D:
    """The same UNet in 2D (``spatial_dims=2``, for slices and 2.5D methods) or 3D."""
    return UNet3D(
        in_channels,
        out_channels,
        base_width=base_width,
        num_levels=num_levels,
        spatial_dims=spatial_dims,
    )


@MODELS.register("unet_nd_tiny")
def unet_nd_tiny(
    *,
    spatial_dims: int = 3,
    in_channels: int = 1,
    out_channels: int = 1,
    base_width: int = 4,
    num_levels: int = 4,
) -> UNet3D:
    """A 4-8-16-32 channel UNet, 2D or 3D, for tests."""
    return unet_nd(
        spatial_dims=spatial_dims,
        in_channels=in_channels,
        out_channels=out_channels,
        base_width=base_width,
        num_levels=num_levels,
    )

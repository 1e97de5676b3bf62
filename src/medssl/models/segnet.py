"""A segmentation network: any encoder, a decoder and a 1×1×1 head.

``SegNet(encoder, decoder, out_channels=...)`` is the shape every segmentation network
in medssl takes, so pretrained encoder weights load into any of them with
:func:`medssl.models.weights.load_encoder_weights`. The 3D UNet is a ``SegNet`` with
:class:`~medssl.models.unet3d.UNet3DEncoder` and :class:`UNetDecoder`; the ``segnet``
factory builds one from any registered encoder with a UNet-style decoder. A DeepLab
network is the same class with an ASPP decoder (any module that maps the feature
list to one map and has ``out_channels`` and ``stride``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from medssl.errors import MedsslError
from medssl.models.base import encoder_of, is_encoder
from medssl.models.blocks import init_weights, layer
from medssl.models.decoder import UNetDecoder
from medssl.models.registry import MODELS, create_model


class SegNet(nn.Module):
    """Encoder → decoder → 1×1×1 convolution, upsampled back to the input size.

    Args:
        encoder: A module following :class:`~medssl.models.base.Encoder`.
        decoder: Maps the encoder's feature list to one map; has ``out_channels`` (int)
            and ``stride`` (its downsampling factor).
        out_channels: Output channels (classes, or image channels for restoration).

    Attributes:
        encoder, decoder, head: The three parts; each can be saved and loaded alone.
        in_channels, out_channels, size_divisor: As for the encoder, and the output.

    Raises:
        MedsslError: If ``encoder`` does not follow the encoder interface.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)`` (logits; no
        activation). ``X, Y, Z`` must be multiples of ``size_divisor``.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, *, out_channels: int) -> None:
        super().__init__()
        if not is_encoder(encoder):
            raise MedsslError(
                f"{type(encoder).__name__} is not an encoder "
                "(needs out_channels, strides and size_divisor)"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.spatial_dims: int = int(getattr(encoder, "spatial_dims", 3))
        conv = layer("conv", self.spatial_dims)
        self.head = conv(int(decoder.out_channels), out_channels, kernel_size=1)
        self.in_channels: int = encoder.in_channels
        self.out_channels: int = out_channels
        self.size_divisor: int = encoder.size_divisor

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the encoder's feature list from one pass (for heads on the encoder).

        Shape:
            ``x``: ``(N, C, X, Y, Z)``; logits ``(N, out_channels, X, Y, Z)``; features
            as returned by ``encoder(x)``.
        """
        features = self.encoder(x)
        logits = self.head(self.decoder(features))
        if getattr(self.decoder, "stride", 1) != 1:
            mode = "trilinear" if self.spatial_dims == 3 else "bilinear"
            logits = F.interpolate(logits, size=x.shape[2:], mode=mode, align_corners=False)
        return logits, features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits at the input resolution."""
        return self.forward_with_features(x)[0]


@MODELS.register("segnet")
def segnet(
    *,
    encoder: str = "resnet3d50",
    in_channels: int = 1,
    out_channels: int = 2,
    encoder_options: dict[str, Any] | None = None,
    decoder_channels: Sequence[int] | None = None,
) -> SegNet:
    """A segmentation network from a registered encoder and a UNet-style decoder.

    Args:
        encoder: Registered model name providing the encoder (``"resnet3d50"``, or a
            network with an ``encoder`` part such as ``"unet3d"``).
        in_channels: Input channels.
        out_channels: Output channels (classes).
        encoder_options: Extra options of the encoder factory (e.g.
            ``{"output_stride": 16}``).
        decoder_channels: Decoder channels per skip level, finest first; default: the
            encoder's channels capped at 256.

    Returns:
        A randomly initialised :class:`SegNet`; load pretrained encoder weights with
        :func:`~medssl.models.weights.load_encoder_weights`.
    """
    enc = encoder_of(create_model(encoder, in_channels=in_channels, **(encoder_options or {})))
    dec = UNetDecoder(enc.out_channels, enc.strides, decoder_channels=decoder_channels)
    init_weights(dec)
    model = SegNet(enc, dec, out_channels=out_channels)
    init_weights(model.head)
    return model

"""The online and target networks of BYOL and PGL, with global and local heads.

- Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020: an online encoder with a
  projector and a predictor (MLPs on the pooled feature map), and a target encoder
  with a projector, updated as an exponential moving average of the online weights.
- Xie et al., "PGL", 2020: the same heads made of 1×1×1 convolutions on the last
  feature map (:class:`ConvProjectionHead`), so that every voxel of the map has its
  own projection and prediction.

It is a registered model, ``byol_net``, so a weights file of the whole network
records its true architecture and :func:`medssl.models.load_model` rebuilds it.

The target lives inside the network (``net.target``) with ``requires_grad`` off, so a
checkpoint holds it and ``--resume`` continues exactly; it is updated only by
:func:`medssl.methods.ema.update_ema`.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.base import encoder_of, is_encoder
from medssl.models.blocks import init_weights
from medssl.models.heads import PredictionHead, ProjectionHead, global_avg_pool
from medssl.models.registry import MODELS, create_from_spec


class ConvProjectionHead(nn.Sequential):
    """``1×1×1 conv → BN → ReLU → 1×1×1 conv``: a projector or predictor per voxel.

    Args:
        in_channels: Channels of the feature map.
        hidden_channels: Width of the hidden layer (4096 in the paper).
        out_channels: Output channels (256 in the paper).

    Raises:
        MedsslError: If a width is not positive.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, out_channels, X, Y, Z)``.
    """

    def __init__(self, in_channels: int, hidden_channels: int = 4096, out_channels: int = 256):
        if min(in_channels, hidden_channels, out_channels) < 1:
            raise MedsslError(
                f"head widths must be >= 1; got {[in_channels, hidden_channels, out_channels]}"
            )
        super().__init__(
            nn.Conv3d(in_channels, hidden_channels, kernel_size=1, bias=False),
            nn.BatchNorm3d(hidden_channels),
            nn.ReLU(inplace=True),
            nn.Conv3d(hidden_channels, out_channels, kernel_size=1),
        )
        init_weights(self)


class BYOLNet(nn.Module):
    """An encoder with BYOL's global heads, optional PGL local heads, and the target.

    Args:
        encoder: A module following :class:`~medssl.models.base.Encoder`.
        hidden: Hidden width of the global projector and predictor.
        out: Projection size.
        local: Add the local (per-voxel) projector and predictor.
        local_hidden: Hidden width of the local heads.
        global_heads: Keep the global heads (PGL uses both).

    Raises:
        MedsslError: If ``encoder`` is not an encoder or no head is asked for.

    Shape:
        ``forward``: ``(N, C, X, Y, Z)`` → dict with ``global_proj``, ``global_pred``
        (N, out) and/or ``local_proj``, ``local_pred`` (N, out, X/sx, Y/sy, Z/sz).
    """

    def __init__(
        self,
        encoder: nn.Module,
        *,
        hidden: int = 4096,
        out: int = 256,
        local: bool = False,
        local_hidden: int = 4096,
        global_heads: bool = True,
    ) -> None:
        super().__init__()
        if not is_encoder(encoder):
            raise MedsslError(f"{type(encoder).__name__} is not an encoder")
        if not (local or global_heads):
            raise MedsslError("BYOLNet needs global heads, local heads or both")
        self.encoder = encoder
        channels = int(encoder.out_channels[-1])
        self.projector = ProjectionHead(channels, hidden, out) if global_heads else None
        self.predictor = PredictionHead(out, hidden, out) if global_heads else None
        self.local_projector = ConvProjectionHead(channels, local_hidden, out) if local else None
        self.local_predictor = ConvProjectionHead(out, local_hidden, out) if local else None
        target = {"encoder": copy.deepcopy(encoder)}
        if self.projector is not None:
            target["projector"] = copy.deepcopy(self.projector)
        if self.local_projector is not None:
            target["local_projector"] = copy.deepcopy(self.local_projector)
        self.target = nn.ModuleDict(target)
        for p in self.target.parameters():
            p.requires_grad_(False)

    def online_parts(self) -> dict[str, nn.Module]:
        """The online modules that the target mirrors, by the target's names."""
        return {name: getattr(self, name) for name in self.target}

    def _heads(self, feature: torch.Tensor, projector, local_projector) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        if projector is not None:
            out["global_proj"] = projector(global_avg_pool(feature))
        if local_projector is not None:
            out["local_proj"] = local_projector(feature)
        return out

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Online projections and predictions of a batch."""
        out = self._heads(self.encoder(x)[-1], self.projector, self.local_projector)
        if self.predictor is not None:
            out["global_pred"] = self.predictor(out["global_proj"])
        if self.local_predictor is not None:
            out["local_pred"] = self.local_predictor(out["local_proj"])
        return out

    @torch.no_grad()
    def target_forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Target projections of a batch (no gradient)."""
        parts = dict(self.target.items())
        feature = parts["encoder"](x)[-1]
        return self._heads(feature, parts.get("projector"), parts.get("local_projector"))


@MODELS.register("byol_net")
def byol_net(
    *,
    encoder: dict[str, Any],
    hidden: int = 4096,
    out: int = 256,
    local: bool = False,
    local_hidden: int = 4096,
    global_heads: bool = True,
) -> BYOLNet:
    """A :class:`BYOLNet` on the encoder of the network ``encoder`` describes.

    Args:
        encoder: Spec ``{"arch", "config"}`` of the network whose encoder is trained.
        hidden: Hidden width of the global projector and predictor.
        out: Projection size.
        local: Add the local (per-voxel) projector and predictor.
        local_hidden: Hidden width of the local heads.
        global_heads: Keep the global heads.

    Raises:
        MedsslError: If the network is unknown or has no encoder.
    """
    shared = encoder_of(create_from_spec(encoder, what="byol_net encoder"))
    return BYOLNet(
        shared,
        hidden=hidden,
        out=out,
        local=local,
        local_hidden=local_hidden,
        global_heads=global_heads,
    )

"""The D2D-CNN of Blendowski et al. (MICCAI 2019) and its REG2D / HEATMAP heads.

The D2D-CNN maps a three-plane patch (3 x 42 x 42) to a 64-D descriptor with
unpadded convolutions of total stride 4 and a receptive field of exactly 42 pixels.
Its normalisation is a group norm over channel groups *at each pixel*
(:class:`PixelGroupNorm`): on a 1 x 1 map it is the usual GroupNorm, and because no
statistic spans pixels, the network run over a whole slice (fully convolutional)
gives at output pixel ``j`` exactly the descriptor of the patch whose pixels are
``4j .. 4j + 41``. That makes dense descriptors a few convolutions per slice.

``context2d`` holds one D2D-CNN per plane orientation (the descriptor of a voxel is
the concatenation of the three, 192-D) and one head per orientation: ``reg`` (2
outputs, L1 loss on (Δ1, Δ2)) or ``heatmap`` (transposed convolutions to a 19 x 19
map, MSE against :func:`medssl.views.context_pairs.heatmap_target`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from medssl.errors import MedsslError
from medssl.models.registry import MODELS


class PixelGroupNorm(nn.Module):
    """Group normalisation over channel groups at every spatial position.

    Args:
        groups: Number of channel groups.
        channels: Number of channels (a multiple of ``groups``).
        eps: Added to the variance.

    Shape:
        (N, C, *spatial) → same.
    """

    def __init__(self, groups: int, channels: int, *, eps: float = 1e-5) -> None:
        super().__init__()
        if channels % groups:
            raise MedsslError(f"channels must be a multiple of groups; got {channels}, {groups}")
        self.groups, self.eps = groups, eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # One layer norm over each group's channels at every pixel: with channels last
        # (the layout the descriptors run in) every group is contiguous in memory.
        c = x.shape[1]
        y = x.movedim(1, -1)
        y = F.layer_norm(
            y.reshape(*y.shape[:-1], self.groups, c // self.groups),
            (c // self.groups,),
            eps=self.eps,
        )
        return torch.addcmul(self.bias, y.reshape(*y.shape[:-2], c), self.weight).movedim(-1, 1)


def conv_unit(conv: nn.Module, channels: int, groups: int = 4) -> nn.Sequential:
    """``conv → PixelGroupNorm → LeakyReLU``."""
    return nn.Sequential(conv, PixelGroupNorm(groups, channels), nn.LeakyReLU(0.1, inplace=True))


class D2DCNN(nn.Module):
    """3 x 42² → 64 descriptor network (about 131k parameters).

    Layers (kernel, stride → size): 4,1 → 39; 3,2 → 19; 3,1 → 17; 3,2 → 8; 3,1 → 6;
    3,1 → 4; 4,1 → 1. Convolutions are Xavier-initialised.

    Args:
        in_planes: Planes per patch.
        out_channels: Descriptor length.

    Shape:
        (N, 3, H, W) with H, W >= 42 → (N, 64, (H - 42) // 4 + 1, (W - 42) // 4 + 1).
    """

    window = 42
    stride = 4

    def __init__(self, *, in_planes: int = 3, out_channels: int = 64) -> None:
        super().__init__()
        spec = [  # (in, out, kernel, stride)
            (in_planes, 16, 4, 1),
            (16, 32, 3, 2),
            (32, 32, 3, 1),
            (32, 64, 3, 2),
            (64, 48, 3, 1),
            (48, 48, 3, 1),
        ]
        layers = [conv_unit(nn.Conv2d(i, o, k, stride=s), o) for i, o, k, s in spec]
        layers.append(conv_unit(nn.Conv2d(48, out_channels, 4), out_channels))
        self.body = nn.Sequential(*layers)
        self.out_channels = out_channels
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or min(x.shape[-2:]) < self.window:
            raise MedsslError(
                f"D2D-CNN input must be (N, C, H, W) with H, W >= {self.window}; got "
                f"{tuple(x.shape)}"
            )
        return self.body(x)


class RegHead(nn.Module):
    """REG2D: two descriptors → (Δ1, Δ2).

    Shape:
        (N, 2 F) → (N, 2).
    """

    def __init__(self, features: int = 128, hidden: int = 64) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(features, hidden), nn.LeakyReLU(0.1, inplace=True), nn.Linear(hidden, 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x)


class HeatmapHead(nn.Module):
    """HEATMAP: two descriptors → a 19 x 19 map by transposed convolutions (1 → 4 → 9 → 19).

    Shape:
        (N, 2 F) → (N, 19, 19).
    """

    def __init__(self, features: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(features, 32, 4),
            nn.LeakyReLU(0.1, inplace=True),
            nn.ConvTranspose2d(32, 16, 3, stride=2),
            nn.LeakyReLU(0.1, inplace=True),
            nn.ConvTranspose2d(16, 1, 3, stride=2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x[:, :, None, None])[:, 0]


class Context2DNet(nn.Module):
    """One D2D-CNN and one head per plane orientation.

    Args:
        head: ``"heatmap"`` or ``"reg"``.
        out_channels: Descriptor length per orientation.

    Shape:
        (B, 3 axes, 2, 3, 42, 42) → (B, 3, 19, 19) for ``heatmap``, (B, 3, 2) for ``reg``.
    """

    def __init__(self, *, head: str = "heatmap", out_channels: int = 64) -> None:
        super().__init__()
        if head not in ("heatmap", "reg"):
            raise MedsslError(f"head must be 'heatmap' or 'reg'; got {head!r}")
        self.head_name = head
        self.nets = nn.ModuleList(D2DCNN(out_channels=out_channels) for _ in range(3))
        make = HeatmapHead if head == "heatmap" else RegHead
        self.heads = nn.ModuleList(make(2 * out_channels) for _ in range(3))

    @property
    def encoder(self) -> nn.ModuleList:
        """The three D2D-CNNs, the part exported as ``encoder.pt``."""
        return self.nets

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        outs = []
        for axis in range(3):
            feats = self.nets[axis](x[:, axis].reshape(b * 2, *x.shape[3:])).reshape(b, -1)
            outs.append(self.heads[axis](feats))
        return torch.stack(outs, dim=1)


@MODELS.register("context2d")
def context2d(*, head: str = "heatmap", out_channels: int = 64) -> Context2DNet:
    """Three D2D-CNNs (one per plane orientation) with REG2D or HEATMAP heads."""
    return Context2DNet(head=head, out_channels=out_channels)


@MODELS.register("d2d_cnn")
def d2d_cnn(*, in_planes: int = 3, out_channels: int = 64) -> D2DCNN:
    """A single D2D-CNN (3 x 42² → 64)."""
    return D2DCNN(in_planes=in_planes, out_channels=out_channels)

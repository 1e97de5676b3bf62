"""The D3D-CNN (25³ → 192) and its 6-neighbour head: the 3D Doersch baseline.

Unpadded 3D convolutions of total stride 4 and a receptive field of exactly 25
voxels, with :class:`~medssl.models.context2d.PixelGroupNorm`, so that the network
run over a whole volume gives at output voxel ``j`` the descriptor of the cube whose
voxels are ``4j .. 4j + 24``.
"""

from __future__ import annotations

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.context2d import conv_unit
from medssl.models.registry import MODELS


class D3DCNN(nn.Module):
    """1 x 25³ → 192 descriptor network.

    Layers (kernel, stride → size): 3,1 → 23; 3,2 → 11; 3,1 → 9; 3,2 → 4; 4,1 → 1.

    Shape:
        (N, 1, X, Y, Z), each >= 25 → (N, 192, (X - 25) // 4 + 1, ...).
    """

    window = 25
    stride = 4

    def __init__(self, *, out_channels: int = 192) -> None:
        super().__init__()
        spec = [(1, 16, 3, 1), (16, 32, 3, 2), (32, 32, 3, 1), (32, 64, 3, 2)]
        layers = [conv_unit(nn.Conv3d(i, o, k, stride=s), o) for i, o, k, s in spec]
        layers.append(conv_unit(nn.Conv3d(64, out_channels, 4), out_channels))
        self.body = nn.Sequential(*layers)
        self.out_channels = out_channels
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, a=0.1, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or min(x.shape[-3:]) < self.window:
            raise MedsslError(
                f"D3D-CNN input must be (N, 1, X, Y, Z) with sides >= {self.window}; got "
                f"{tuple(x.shape)}"
            )
        return self.body(x)


class Doersch3DNet(nn.Module):
    """A shared D3D-CNN on both cubes and a classifier of the partner's direction.

    Shape:
        (B, 2, 25, 25, 25) → (B, 6) logits.
    """

    def __init__(self, *, out_channels: int = 192, hidden: int = 256) -> None:
        super().__init__()
        self.net = D3DCNN(out_channels=out_channels)
        self.head = nn.Sequential(
            nn.Linear(2 * out_channels, hidden),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Linear(hidden, 6),
        )

    @property
    def encoder(self) -> D3DCNN:
        """The D3D-CNN, the part exported as ``encoder.pt``."""
        return self.net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        feats = self.net(x.reshape(b * 2, 1, *x.shape[2:])).reshape(b, -1)
        return self.head(feats)


@MODELS.register("doersch3d")
def doersch3d(*, out_channels: int = 192, hidden: int = 256) -> Doersch3DNet:
    """D3D-CNN with the 6-neighbour head."""
    return Doersch3DNet(out_channels=out_channels, hidden=hidden)

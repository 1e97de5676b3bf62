"""Dense voxel descriptors at every 4th voxel, for trained context models and baselines.

A *describer* maps a volume on the context grid (:mod:`.prep`) to descriptors of the
4 x 4 x 4 blocks that tile it: block ``j`` covers voxels ``4j .. 4j + 3`` along each
axis and its descriptor is centred at ``4j + 1.5``. The volume is zero-padded (0 =
below the CT window) so that every block of the volume has one.

- :class:`PlaneDescriber`: three D2D-CNNs (trained ``context2d`` models, or untrained
  ones for the ``xavier`` baseline), each run fully convolutionally over the slices
  of its orientation; 3 x 64 = 192-D.
- :class:`CubeDescriber`: the D3D-CNN of ``doersch3d``, fully convolutional; 192-D.
- :class:`GreyValueDescriber`: the ``gvdiff`` baseline: 192 grey-value differences
  between 3D Gaussian-random offsets (BRIEF-like, continuous).

No Python loop runs per voxel: one loop over chunks of slices (or rows of blocks).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from medssl.errors import MedsslError
from medssl.views.context_pairs import sample_points

#: Voxels per descriptor block along each axis.
STRIDE = 4
#: Centre of block 0 (voxels).
CENTRE0 = 1.5


def block_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """Number of 4³ blocks tiling a volume: ``ceil(n / 4)`` per axis."""
    return tuple(math.ceil(int(n) / STRIDE) for n in shape)  # type: ignore[return-value]


def block_centres(shape: tuple[int, ...]) -> torch.Tensor:
    """Voxel coordinates of every block centre, in C order of the blocks.

    Shape:
        (B0 * B1 * B2, 3).
    """
    axes = [CENTRE0 + STRIDE * torch.arange(b, dtype=torch.float32) for b in block_shape(shape)]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 3)


def _pad_for(volume: torch.Tensor, *, window: int, half_shift: bool) -> torch.Tensor:
    """Pad so that output ``j`` of a stride-4 net with this window is centred at 4j + 1.5."""
    centre = (window - 1) / 2.0 + (0.5 if half_shift else 0.0)
    low = round(centre - CENTRE0)
    pads = []
    for n, b in zip(volume.shape, block_shape(volume.shape)):
        need = STRIDE * (b - 1) + window + (1 if half_shift else 0)
        pads.append((low, max(0, need - low - n)))
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(volume, flat)


class PlaneDescriber:
    """Three D2D-CNNs, one per plane orientation, run over whole slices.

    Args:
        nets: The three networks (normal = array axis 0, 1, 2), window 42, stride 4.
        gap: Plane distance along the normal, in voxels (an integer).
        chunk: Slices per forward pass.
    """

    def __init__(self, nets: nn.ModuleList, *, gap: float = 3.0, chunk: int = 16) -> None:
        if len(nets) != 3 or float(gap) != int(gap):
            raise MedsslError(f"need 3 plane networks and an integer gap; got {len(nets)}, {gap}")
        self.nets, self.gap, self.chunk = nets.eval(), int(gap), int(chunk)
        self.window = int(getattr(nets[0], "window", 42))
        self.dim = 3 * int(nets[0].out_channels)
        self.device = "cpu"

    def to(self, device: str) -> PlaneDescriber:
        """Run the networks on ``device``; returns itself."""
        self.device = str(device)
        self.nets.to(self.device)
        return self

    @torch.no_grad()
    def __call__(self, volume: np.ndarray) -> np.ndarray:
        """Descriptors of every block.

        Shape:
            (X, Y, Z) → (B0, B1, B2, 192) float32.
        """
        vol = torch.as_tensor(np.ascontiguousarray(volume, np.float32), device=self.device)
        blocks = block_shape(vol.shape)
        padded = _pad_for(vol, window=self.window, half_shift=False)
        centre = (self.window - 1) / 2.0  # 20.5: between slices, so average two of them
        parts = []
        for axis in range(3):
            moved = padded.movedim(axis, 0)
            half = 0.5 * (moved[:-1] + moved[1:])  # half[k] is the plane at k + 0.5
            first = int(centre - 0.5)
            idx = first + STRIDE * torch.arange(blocks[axis])
            planes = torch.stack([idx - self.gap, idx, idx + self.gap], dim=1)
            out = []
            for start in range(0, len(planes), self.chunk):
                x = half[planes[start : start + self.chunk]]  # (m, 3, n_b, n_c)
                x = x.contiguous(memory_format=torch.channels_last)
                out.append(self.nets[axis](x).float())
            feats = torch.cat(out)  # (B_axis, 64, B_b, B_c)
            parts.append(feats.permute(0, 2, 3, 1).movedim(0, axis))
        return torch.cat(parts, dim=-1).cpu().numpy()


class CubeDescriber:
    """The D3D-CNN run over the volume in slabs of block rows.

    Args:
        net: Window 25, stride 4, 192 outputs.
        rows: Block rows (along axis 0) per forward pass.
    """

    def __init__(self, net: nn.Module, *, rows: int = 8) -> None:
        self.net, self.rows = net.eval(), int(rows)
        self.window = int(getattr(net, "window", 25))
        self.dim = int(net.out_channels)
        self.device = "cpu"

    def to(self, device: str) -> CubeDescriber:
        """Run the network on ``device``; returns itself."""
        self.device = str(device)
        self.net.to(self.device)
        return self

    @torch.no_grad()
    def __call__(self, volume: np.ndarray) -> np.ndarray:
        """Shape: (X, Y, Z) → (B0, B1, B2, 192) float32."""
        vol = torch.as_tensor(np.ascontiguousarray(volume, np.float32), device=self.device)
        blocks = block_shape(vol.shape)
        padded = _pad_for(vol, window=self.window, half_shift=True)
        shifted = F.avg_pool3d(padded[None, None], 2, stride=1)[0, 0]  # voxel k ↔ k + 0.5
        out = []
        for start in range(0, blocks[0], self.rows):
            stop = min(blocks[0], start + self.rows)
            slab = shifted[STRIDE * start : STRIDE * (stop - 1) + self.window]
            feats = self.net(slab[None, None])[0].float()
            out.append(feats[:, :, : blocks[1], : blocks[2]])
        return torch.cat(out, dim=1).permute(1, 2, 3, 0).cpu().numpy()


class GreyValueDescriber:
    """``gvdiff``: differences of smoothed grey values at random 3D Gaussian offsets.

    Args:
        n: Number of differences (descriptor length).
        sigma: Standard deviation of the offsets, in voxels.
        smooth: Gaussian smoothing of the volume first, in voxels.
        seed: Seed of the offsets (fixed: the same offsets for every scan).
    """

    def __init__(self, *, n: int = 192, sigma: float = 21.0, smooth: float = 1.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.offsets = torch.tensor(rng.normal(0.0, sigma, size=(2, n, 3)), dtype=torch.float32)
        self.smooth, self.dim = float(smooth), int(n)

    def __call__(self, volume: np.ndarray) -> np.ndarray:
        """Shape: (X, Y, Z) → (B0, B1, B2, n) float32."""
        from scipy.ndimage import gaussian_filter

        vol = np.asarray(volume, np.float32)
        if self.smooth > 0:
            vol = gaussian_filter(vol, self.smooth)
        vol_t = torch.as_tensor(vol)
        centres = block_centres(vol.shape)
        values = [
            sample_points(vol_t, centres[:, None, :] + self.offsets[side][None])
            for side in range(2)
        ]
        return (values[0] - values[1]).reshape(*block_shape(vol.shape), self.dim).numpy()

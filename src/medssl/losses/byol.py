"""BYOL's global loss and PGL's local consistency loss.

- Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020: the online predictor's
  output ``p`` and the target projector's output ``z`` of the other view are
  ℓ2-normalised; the loss is ``||p̂ - ẑ||² = 2 - 2 cos(p, z)``, symmetrised over
  the two views.
- Xie et al., "PGL", 2020: the same per voxel, on the projector/predictor feature
  maps after FlipAlign and CSAlign (:mod:`medssl.losses.pgl_align`), averaged over
  the aligned voxels and symmetrised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.nn import functional as F

from medssl.losses.pgl_align import align_pair


def normalized_distance(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``||p̂ - ẑ||²`` per vector along dim 1 (ℓ2-normalised), in float32.

    Shape:
        ``p``, ``z``: (N, C, ...); result (N, ...).
    """
    p = F.normalize(p.float(), dim=1)
    z = F.normalize(z.float(), dim=1)
    return (p - z).pow(2).sum(dim=1)


def byol_loss(
    p1: torch.Tensor, z2: torch.Tensor, p2: torch.Tensor, z1: torch.Tensor
) -> torch.Tensor:
    """Symmetrised BYOL loss (each term in [0, 4], the sum in [0, 8]); ``z`` from the target.

    Shape:
        every input (N, D); result a scalar.
    """
    return normalized_distance(p1, z2.detach()).mean() + normalized_distance(p2, z1.detach()).mean()


def local_consistency_loss(
    p1: torch.Tensor,
    z2: torch.Tensor,
    p2: torch.Tensor,
    z1: torch.Tensor,
    batch: Mapping[str, torch.Tensor],
    *,
    input_shape: Sequence[int],
    stride: Sequence[int],
    output_size: Sequence[int] | None = None,
    flip: bool = True,
    crop_scale: bool = True,
    sampling_ratio: int = 2,
) -> torch.Tensor:
    """PGL's local loss: aligned per-voxel BYOL loss, symmetrised over the two views.

    Args:
        p1, p2: Online predictor maps of views 1 and 2.
        z1, z2: Target projector maps of views 1 and 2 (no gradient).
        batch: The views' receipts: ``box1``, ``box2``, ``flip1``, ``flip2``.
        input_shape, stride, output_size, flip, crop_scale, sampling_ratio: As
            :func:`~medssl.losses.pgl_align.align_pair`.

    Returns:
        The loss (a scalar in [0, 8]).

    Shape:
        maps (N, C, X/sx, Y/sy, Z/sz).
    """
    options: dict[str, Any] = {
        "input_shape": input_shape,
        "stride": stride,
        "output_size": output_size,
        "flip": flip,
        "crop_scale": crop_scale,
        "sampling_ratio": sampling_ratio,
    }
    receipts = {k: batch[k] for k in ("box1", "box2", "flip1", "flip2")}
    a1, b2 = align_pair(p1, z2.detach(), **receipts, **options)
    swapped = {"box1": receipts["box2"], "box2": receipts["box1"]}
    swapped |= {"flip1": receipts["flip2"], "flip2": receipts["flip1"]}
    a2, b1 = align_pair(p2, z1.detach(), **swapped, **options)
    return normalized_distance(a1, b2).mean() + normalized_distance(a2, b1).mean()

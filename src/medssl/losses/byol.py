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

from medssl.losses.pgl_align import cs_align, flip_align, overlap_boxes


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
    online: torch.Tensor,
    target: torch.Tensor,
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

    The online predictions of view 1 meet the target projections of view 2 and the
    other way round; both views' maps are aligned in one RoIAlign call each.

    Args:
        online: Online predictor maps of view 1 then view 2 (stacked on the batch axis).
        target: Target projector maps of view 1 then view 2 (no gradient).
        batch: The views' receipts: ``box1``, ``box2`` (N, 2, 3), ``flip1``, ``flip2``
            (N, 3).
        input_shape, stride, output_size, flip, crop_scale, sampling_ratio: As
            :func:`~medssl.losses.pgl_align.align_pair`.

    Returns:
        The sum of the two directions' mean losses (a scalar in [0, 8]).

    Shape:
        ``online``, ``target``: (2N, C, X/sx, Y/sy, Z/sz).
    """
    n = batch["box1"].shape[0]
    boxes = torch.cat([batch["box1"], batch["box2"]])
    flips = torch.cat([batch["flip1"], batch["flip2"]])
    target = target.detach()
    if crop_scale:
        region = overlap_boxes(batch["box1"], batch["box2"]).repeat(2, 1)
        size = tuple(online.shape[2:]) if output_size is None else tuple(output_size)
        options: dict[str, Any] = {
            "input_shape": input_shape,
            "stride": stride,
            "output_size": size,
            "sampling_ratio": sampling_ratio,
            "flips": flips if flip else None,
        }
        online = cs_align(online, boxes, region, **options)
        target = cs_align(target, boxes, region, **options)
    elif flip:
        online, target = flip_align(online, flips), flip_align(target, flips)
    return 2.0 * normalized_distance(online, target.roll(n, dims=0)).mean()

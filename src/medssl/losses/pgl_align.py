"""FlipAlign and CSAlign: bring two views' feature maps back into register (PGL).

Xie et al., "PGL: Prior-Guided Local Self-supervised Learning for 3D Medical Image
Segmentation", 2020. Each view carries a receipt (:mod:`medssl.views.receipts`): its
crop box in volume coordinates and its flips.

- **FlipAlign** undoes each view's flips on its feature map, so that feature cell
  ``j`` of a view sits over the view's input voxels ``[j·s, (j + 1)·s)`` (``s`` the
  output stride along that axis).
- **CSAlign** (crop and scale) maps the two boxes' overlap from volume coordinates
  into each view's feature coordinates, ``(v - start) · n / (size · s)`` per axis
  (``n`` the input size), and pools it with 3D RoIAlign to a common ``output_size``.

After both, cell ``k`` of the two aligned maps covers the same part of the volume.
When both run, FlipAlign is folded into CSAlign: along a flipped axis the region is
mapped to the flipped map's coordinates and walked backwards by RoIAlign, which gives
the same cells as flipping the map first, without touching the map.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from medssl.errors import MedsslError
from medssl.ops import roi_align3d


def flip_align(features: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """Undo each sample's flips along the three spatial axes.

    Shape:
        ``features``: (N, C, X, Y, Z); ``flips``: (N, 3) bool; result as ``features``.
    """
    if flips.shape != (features.shape[0], 3):
        raise MedsslError(
            f"flips must be (N, 3) = ({features.shape[0]}, 3); got {tuple(flips.shape)}"
        )
    flips = flips.to(device=features.device, dtype=torch.bool)
    out = features
    for axis in range(3):
        chosen = flips[:, axis]
        if bool(chosen.any()):
            out = torch.where(chosen.view(-1, 1, 1, 1, 1), out.flip(2 + axis), out)
    return out


def overlap_boxes(box1: torch.Tensor, box2: torch.Tensor) -> torch.Tensor:
    """The intersection of two crop boxes, ``[lo(3), hi(3)]`` in volume coordinates.

    Boxes that do not overlap give an empty box (``hi = lo``) along that axis.

    Shape:
        ``box1``, ``box2``: (N, 2, 3) rows ``[start, size]``; result (N, 6).
    """
    lo = torch.maximum(box1[:, 0], box2[:, 0])
    hi = torch.minimum(box1[:, 0] + box1[:, 1], box2[:, 0] + box2[:, 1])
    return torch.cat([lo, torch.maximum(hi, lo)], dim=1)


def check_stride(
    features: torch.Tensor, input_shape: Sequence[int], stride: Sequence[int]
) -> tuple[int, int, int]:
    """Check that the feature map is the input divided by ``stride`` on every axis.

    Raises:
        MedsslError: If a stride does not divide the input or the map has another size.
    """
    stride = tuple(int(s) for s in stride)
    if len(stride) != 3 or min(stride) < 1:
        raise MedsslError(f"output stride must be three positive integers; got {stride}")
    if any(n % s for n, s in zip(input_shape, stride)):
        raise MedsslError(
            f"output stride {stride} must divide the input shape {tuple(input_shape)}"
        )
    expected = tuple(n // s for n, s in zip(input_shape, stride))
    if tuple(features.shape[2:]) != expected:
        raise MedsslError(
            f"feature map {tuple(features.shape[2:])} is not input {tuple(input_shape)} "
            f"/ output stride {stride} = {expected}"
        )
    return stride  # type: ignore[return-value]


def cs_align(
    features: torch.Tensor,
    box: torch.Tensor,
    region: torch.Tensor,
    *,
    input_shape: Sequence[int],
    stride: Sequence[int],
    output_size: Sequence[int],
    sampling_ratio: int = 2,
    flips: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pool a region given in volume coordinates out of a view's feature map.

    Args:
        features: The view's feature map (flips undone, unless ``flips`` is given).
        box: The view's crop box ``[start, size]`` per sample.
        region: The region to pool, ``[lo(3), hi(3)]`` in volume coordinates.
        input_shape: The view's input size (X, Y, Z).
        stride: The feature map's output stride per axis.
        output_size: Cells of the pooled map per axis.
        sampling_ratio: RoIAlign samples per cell and axis.
        flips: The view's flips, still present in ``features``: they are undone while
            pooling (FlipAlign folded in).

    Raises:
        MedsslError: If the stride does not divide the input or fit the map.

    Shape:
        ``features``: (N, C, X/sx, Y/sy, Z/sz); ``box``: (N, 2, 3); ``region``: (N, 6);
        ``flips``: (N, 3) bool; result (N, C, *output_size).
    """
    stride = check_stride(features, input_shape, stride)
    start, size = box[:, 0].float(), box[:, 1].float()
    per_cell = size * torch.tensor(stride, dtype=torch.float32, device=box.device)
    per_cell = per_cell / torch.tensor(list(input_shape), dtype=torch.float32, device=box.device)
    lo = (region[:, :3].float() - start) / per_cell
    hi = (region[:, 3:].float() - start) / per_cell
    if flips is not None:
        flips = flips.to(device=box.device, dtype=torch.bool)
        size_f = torch.tensor(list(features.shape[2:]), dtype=torch.float32, device=box.device)
        lo, hi = torch.where(flips, size_f - lo, lo), torch.where(flips, size_f - hi, hi)
    index = torch.arange(features.shape[0], device=box.device, dtype=torch.float32)[:, None]
    rois = torch.cat([index, lo, hi], dim=1).to(features.device)
    return roi_align3d(
        features, rois, tuple(output_size), sampling_ratio=sampling_ratio, aligned=True
    )


def align_pair(
    map1: torch.Tensor,
    map2: torch.Tensor,
    *,
    box1: torch.Tensor,
    box2: torch.Tensor,
    flip1: torch.Tensor,
    flip2: torch.Tensor,
    input_shape: Sequence[int],
    stride: Sequence[int],
    output_size: Sequence[int] | None = None,
    flip: bool = True,
    crop_scale: bool = True,
    sampling_ratio: int = 2,
) -> tuple[torch.Tensor, torch.Tensor]:
    """FlipAlign then CSAlign two views' maps (either step can be switched off).

    Args:
        map1, map2: Feature maps of view 1 and view 2.
        box1, box2: Their crop boxes ``[start, size]``.
        flip1, flip2: Their flips.
        input_shape: The views' input size.
        stride: Output stride of the maps per axis.
        output_size: Common pooled size; default: the maps' own size.
        flip: Undo the flips (FlipAlign); off is the paper's "without F" ablation.
        crop_scale: Pool the overlap (CSAlign); off compares the whole maps cell by cell
            (the "without CS" ablation).
        sampling_ratio: RoIAlign samples per cell and axis.

    Returns:
        The two aligned maps, of one shape.

    Shape:
        ``map1``, ``map2``: (N, C, X/sx, Y/sy, Z/sz); result two (N, C, *output_size)
        (or the maps' size without CSAlign).
    """
    if not crop_scale:
        return (flip_align(map1, flip1), flip_align(map2, flip2)) if flip else (map1, map2)
    size = tuple(map1.shape[2:]) if output_size is None else tuple(output_size)
    region = overlap_boxes(box1, box2)
    options = {
        "input_shape": input_shape,
        "stride": stride,
        "output_size": size,
        "sampling_ratio": sampling_ratio,
    }
    return (
        cs_align(map1, box1, region, flips=flip1 if flip else None, **options),
        cs_align(map2, box2, region, flips=flip2 if flip else None, **options),
    )

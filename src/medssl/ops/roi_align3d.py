"""3D RoIAlign in pure PyTorch (``grid_sample``), the 3D analogue of torchvision's.

He et al., "Mask R-CNN", ICCV 2017. Each box is split into ``output_size`` bins; each
bin averages ``sampling_ratio³`` trilinear samples placed at the centres of a regular
sub-grid. The sampling rules are torchvision's ``roi_align`` with one more axis:

- a feature cell ``i`` covers the continuous interval ``[i, i + 1)`` of its axis when
  ``aligned=True`` (its centre is ``i + 0.5``); with ``aligned=False`` the legacy
  convention (centre at ``i``, boxes of at least one cell) is kept;
- a sample within one cell of the border is clamped to the border cell; a sample
  further out contributes 0;
- a box whose end lies below its start along an axis is walked backwards: its bins
  come out mirrored along that axis, which undoes a flip of the map for free.

It runs on any device and dtype that ``grid_sample`` supports and is differentiable
with respect to the input (not the boxes).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F

from medssl.errors import MedsslError


def _triple(value: float | Sequence[int | float], *, name: str) -> tuple[float, ...]:
    values = tuple(value) if isinstance(value, Sequence) else (value,) * 3
    if len(values) != 3:
        raise MedsslError(f"{name} must be one number or three; got {value!r}")
    return values


def _as_boxes(boxes: torch.Tensor | Sequence[torch.Tensor], *, n_images: int) -> torch.Tensor:
    """``(K, 7)`` boxes ``[image index, x0, y0, z0, x1, y1, z1]``."""
    if not isinstance(boxes, torch.Tensor):
        per_image = list(boxes)
        if len(per_image) != n_images:
            raise MedsslError(
                f"boxes given per image need one tensor per image ({n_images}); "
                f"got {len(per_image)}"
            )
        rows = []
        for index, b in enumerate(per_image):
            if b.dim() != 2 or b.shape[1] != 6:
                raise MedsslError(f"boxes of image {index} must be (K, 6); got {tuple(b.shape)}")
            rows.append(torch.cat([torch.full_like(b[:, :1], index), b], dim=1))
        return torch.cat(rows, dim=0)
    if boxes.dim() != 2 or boxes.shape[1] != 7:
        raise MedsslError(
            f"boxes must be (K, 7) [index, x0, y0, z0, x1, y1, z1]; got {tuple(boxes.shape)}"
        )
    return boxes


def roi_align3d(
    features: torch.Tensor,
    boxes: torch.Tensor | Sequence[torch.Tensor],
    output_size: int | Sequence[int],
    *,
    spatial_scale: float | Sequence[float] = 1.0,
    sampling_ratio: int = 2,
    aligned: bool = True,
) -> torch.Tensor:
    """Pool every box of a batch of 3D feature maps to a fixed grid of bins.

    Args:
        features: The feature maps.
        boxes: ``(K, 7)`` rows ``[image index, x0, y0, z0, x1, y1, z1]``, or a list of
            ``(K_i, 6)`` tensors, one per image. Coordinates are continuous positions
            along the three spatial axes, in input units scaled by ``spatial_scale``
            (``1`` for boxes already in feature coordinates).
        output_size: Bins per axis (one int or three).
        spatial_scale: Factor from box units to feature cells (one or three).
        sampling_ratio: Samples per bin along each axis (``>= 1``; torchvision's
            adaptive ``-1`` is not supported).
        aligned: Shift by half a cell so that cell ``i`` spans ``[i, i + 1)``.

    Returns:
        The pooled features, in the dtype of ``features``.

    Raises:
        MedsslError: On a bad shape, output size or sampling ratio.

    Shape:
        ``features``: ``(N, C, X, Y, Z)``; result ``(K, C, *output_size)``.
    """
    if features.dim() != 5:
        raise MedsslError(f"features must be (N, C, X, Y, Z); got {tuple(features.shape)}")
    out = tuple(int(s) for s in _triple(output_size, name="output_size"))
    if min(out) < 1:
        raise MedsslError(f"output_size must be positive; got {out}")
    if int(sampling_ratio) != sampling_ratio or sampling_ratio < 1:
        raise MedsslError(f"sampling_ratio must be an integer >= 1; got {sampling_ratio}")
    sr = int(sampling_ratio)
    scale = _triple(spatial_scale, name="spatial_scale")
    rois = _as_boxes(boxes, n_images=features.shape[0])
    n_rois = rois.shape[0]
    if n_rois == 0:
        return features.new_zeros((0, features.shape[1], *out))
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    rois = rois.to(device=features.device, dtype=dtype)
    sizes = features.shape[2:]
    offset = 0.5 if aligned else 0.0
    coords, valid = [], []
    for axis in range(3):
        start = rois[:, 1 + axis] * scale[axis] - offset
        end = rois[:, 4 + axis] * scale[axis] - offset
        extent = end - start
        if not aligned:
            extent = extent.clamp(min=1.0)
        step = extent / out[axis]
        # Sample k of bin b sits at start + b * step + (k + 0.5) * step / sr.
        grid = (torch.arange(out[axis] * sr, device=features.device, dtype=dtype) + 0.5) / sr
        position = start[:, None] + grid[None, :] * step[:, None]
        size = sizes[axis]
        valid.append((position >= -1.0) & (position <= size))
        index = position.clamp(0.0, size - 1.0)
        coords.append(2.0 * index / (size - 1) - 1.0 if size > 1 else torch.zeros_like(index))
    gx, gy, gz = coords
    n_x, n_y, n_z = (o * sr for o in out)
    # grid_sample's last grid axis lists (last dim, middle dim, first dim) coordinates.
    grid = torch.stack(
        [
            gz[:, None, None, :].expand(n_rois, n_x, n_y, n_z),
            gy[:, None, :, None].expand(n_rois, n_x, n_y, n_z),
            gx[:, :, None, None].expand(n_rois, n_x, n_y, n_z),
        ],
        dim=-1,
    )
    index = rois[:, 0].long()
    source = features.index_select(0, index)
    sampled = F.grid_sample(
        source, grid.to(features.dtype), mode="bilinear", padding_mode="border", align_corners=True
    )
    mask = (
        valid[0][:, :, None, None] & valid[1][:, None, :, None] & valid[2][:, None, None, :]
    ).unsqueeze(1)
    sampled = sampled * mask.to(sampled.dtype)
    c = features.shape[1]
    sampled = sampled.reshape(n_rois, c, out[0], sr, out[1], sr, out[2], sr)
    return sampled.mean(dim=(3, 5, 7))

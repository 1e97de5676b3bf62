"""Surface metrics of two binary masks, in millimetres: HD95 and NSD.

Both are MONAI's implementations (``monai.metrics.compute_hausdorff_distance`` with
``percentile=95`` and ``compute_surface_dice``), given the voxel spacing of the grid so
that anisotropic scans (e.g. 0.79×0.79×7.5 mm CT) are measured in mm.

* **HD95**: MONAI's symmetric 95th-percentile Hausdorff distance: the larger of the
  95th percentiles of the distances from the surface voxels of ``pred`` to those of
  ``gt`` and back.
* **NSD** (normalised surface Dice, Nikolov et al., 2021): the fraction of both
  surfaces that lies within ``tolerance`` mm of the other surface.

Before calling MONAI both masks are cropped to the bounding box of ``pred ∪ gt`` plus
a margin of at least one voxel. Surfaces are found by erosion with a zero border, so a
margin of one voxel gives exactly the full-volume result (MONAI itself crops with
the same margin); the crop only saves building tensors of the whole volume.

Empty masks:

==================  ======  ====
case                HD95    NSD
==================  ======  ====
both empty          0.0     1.0
only one empty      NaN     0.0
==================  ======  ====

A distance to an empty surface is undefined, so HD95 is NaN there (not ``inf``, which
would make every mean over cases infinite); callers count such cases separately.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

NAN = float("nan")


def union_bbox(pred: np.ndarray, gt: np.ndarray, *, margin: int = 1) -> tuple[slice, ...] | None:
    """Bounding box of ``pred ∪ gt`` grown by ``margin`` voxels, clipped to the volume.

    Args:
        pred: Binary mask.
        gt: Binary mask of the same shape.
        margin: Voxels added on each side (clipped at the volume border).

    Returns:
        One slice per axis, or ``None`` when both masks are empty.
    """
    union = np.asarray(pred, dtype=bool) | np.asarray(gt, dtype=bool)
    slices = []
    for axis in range(union.ndim):
        other = tuple(a for a in range(union.ndim) if a != axis)
        hit = np.flatnonzero(union.any(axis=other))
        if hit.size == 0:
            return None
        lo = max(int(hit[0]) - margin, 0)
        hi = min(int(hit[-1]) + margin + 1, union.shape[axis])
        slices.append(slice(lo, hi))
    return tuple(slices)


def _check(pred: np.ndarray, gt: np.ndarray, spacing: Sequence[float]) -> tuple[np.ndarray, ...]:
    pred = np.asarray(pred).astype(bool, copy=False)
    gt = np.asarray(gt).astype(bool, copy=False)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape; got {pred.shape} vs {gt.shape}")
    if len(spacing) != pred.ndim or min(spacing) <= 0:
        raise ValueError(
            f"spacing must hold {pred.ndim} positive values (mm); got {tuple(spacing)}"
        )
    return pred, gt


def _as_batch(mask: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]


def surface_metrics(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    spacing: Sequence[float],
    tolerance: float = 1.0,
    margin: int = 1,
    which: Sequence[str] = ("hd95", "nsd"),
) -> dict[str, float]:
    """HD95 and NSD of two binary masks, in the physical units of ``spacing``.

    Args:
        pred: Predicted mask; any non-zero voxel is foreground.
        gt: Reference mask of the same shape.
        spacing: Voxel size in mm along each axis (``Geometry.spacing``).
        tolerance: NSD tolerance in mm.
        margin: Crop margin in voxels around ``pred ∪ gt`` (at least 1).
        which: The metrics to compute, among ``"hd95"`` and ``"nsd"``.

    Returns:
        ``{"hd95": mm, "nsd": fraction}`` (the keys in ``which``), following the
        empty-mask rules above.

    Raises:
        ValueError: Shapes differ, bad spacing, negative tolerance, margin < 1 or an
            unknown name in ``which``.

    Shape:
        ``pred``, ``gt``: (X, Y, Z) (or (X, Y)).
    """
    pred, gt = _check(pred, gt, spacing)
    if tolerance < 0:
        raise ValueError(f"NSD tolerance must be >= 0 mm; got {tolerance}")
    if margin < 1:
        raise ValueError(f"crop margin must be >= 1 voxel; got {margin}")
    unknown = sorted(set(which) - {"hd95", "nsd"})
    if unknown:
        raise ValueError(f"surface metrics are 'hd95' and 'nsd'; got {unknown}")
    has_pred, has_gt = bool(pred.any()), bool(gt.any())
    if not has_pred and not has_gt:
        return {k: v for k, v in (("hd95", 0.0), ("nsd", 1.0)) if k in which}
    if not has_pred or not has_gt:
        return {k: v for k, v in (("hd95", NAN), ("nsd", 0.0)) if k in which}
    box = union_bbox(pred, gt, margin=margin)
    p, g = _as_batch(pred[box]), _as_batch(gt[box])
    spacing = [float(s) for s in spacing]

    from monai.metrics import compute_hausdorff_distance, compute_surface_dice

    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI's own deprecation notices, once per call
        if "hd95" in which:
            hd = compute_hausdorff_distance(
                p, g, include_background=True, percentile=95.0, spacing=spacing
            )
            out["hd95"] = float(hd.reshape(-1)[0])
        if "nsd" in which:
            nsd = compute_surface_dice(
                p, g, [float(tolerance)], include_background=True, spacing=spacing
            )
            out["nsd"] = float(nsd.reshape(-1)[0])
    return out


def hd95(pred: np.ndarray, gt: np.ndarray, *, spacing: Sequence[float]) -> float:
    """95th-percentile Hausdorff distance in mm (0 if both empty, NaN if one is).

    See :func:`surface_metrics` for the arguments.
    """
    return surface_metrics(pred, gt, spacing=spacing, which=("hd95",))["hd95"]


def normalized_surface_dice(
    pred: np.ndarray, gt: np.ndarray, *, spacing: Sequence[float], tolerance: float = 1.0
) -> float:
    """Normalised surface Dice at ``tolerance`` mm (1 if both empty, 0 if one is).

    See :func:`surface_metrics` for the arguments.
    """
    return surface_metrics(pred, gt, spacing=spacing, tolerance=tolerance, which=("nsd",))["nsd"]

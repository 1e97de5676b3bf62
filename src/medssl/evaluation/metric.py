"""Per-case, per-label segmentation metrics: a pure function and an accumulating class.

As in MONAI's ``metrics/meandice.py``: :func:`evaluate_labelmaps` computes the metrics
of one case; :class:`SegmentationMetric` calls it case after case, keeps the rows and
aggregates them (mean ± std over cases, per label).

Each row holds Dice, IoU, sensitivity, specificity (see
:mod:`medssl.evaluation.overlap`) and HD95 in mm and NSD (see
:mod:`medssl.evaluation.surface`), with the empty-mask rules given there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from medssl.evaluation.labels import LabelGroup, groups_for_case, present_values
from medssl.evaluation.overlap import (
    confusion_counts,
    dice_from_counts,
    iou_from_counts,
    sensitivity_from_counts,
    specificity_from_counts,
)
from medssl.evaluation.surface import surface_metrics, union_bbox

METRICS: tuple[str, ...] = ("dice", "iou", "sensitivity", "specificity", "hd95", "nsd")
"""Metric names, in table and CSV order (``hd95`` is in mm)."""


@dataclass(frozen=True)
class LabelResult:
    """Metrics of one label (or merged group) in one case."""

    case: str
    label: str
    dice: float
    iou: float
    sensitivity: float
    specificity: float
    hd95: float
    nsd: float
    gt_voxels: int
    pred_voxels: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    """Mean and (population) standard deviation of one metric of one label over cases.

    ``n`` counts the cases the mean averages: those where the metric is defined and
    finite. ``excluded`` counts the cases left out (NaN, e.g. the HD95 of an empty
    prediction, or a non-finite value), so ``n + excluded`` is the number of cases.
    """

    label: str
    metric: str
    mean: float
    std: float
    n: int
    excluded: int = 0


def compute_mask_metrics(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    spacing: Sequence[float],
    nsd_tolerance: float = 1.0,
    background_outside: int = 0,
) -> dict[str, float]:
    """All metrics of two binary masks.

    Args:
        pred: Predicted mask; any non-zero voxel is foreground.
        gt: Reference mask of the same shape.
        spacing: Voxel size in mm along each axis.
        nsd_tolerance: NSD tolerance in mm.
        background_outside: Background voxels of both masks cut away by a crop (they
            count as true negatives for specificity).

    Returns:
        The :data:`METRICS` plus ``gt_voxels`` and ``pred_voxels``.

    Shape:
        ``pred``, ``gt``: (X, Y, Z).
    """
    c = confusion_counts(pred, gt, background_outside=background_outside)
    out: dict[str, float] = {
        "dice": dice_from_counts(c),
        "iou": iou_from_counts(c),
        "sensitivity": sensitivity_from_counts(c),
        "specificity": specificity_from_counts(c),
    }
    out.update(surface_metrics(pred, gt, spacing=spacing, tolerance=nsd_tolerance))
    out["gt_voxels"] = c.gt_voxels
    out["pred_voxels"] = c.pred_voxels
    return out


def evaluate_labelmaps(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    spacing: Sequence[float],
    labels: list[LabelGroup] | None = None,
    nsd_tolerance: float = 1.0,
    case: str = "case",
) -> tuple[list[LabelResult], list[int]]:
    """Metrics of every label (group) of one case.

    Args:
        pred: Predicted label map (integers, 0 = background).
        gt: Reference label map on the same grid.
        spacing: Voxel size in mm along each axis.
        labels: Groups to evaluate; ``None`` evaluates each non-zero value present.
        nsd_tolerance: NSD tolerance in mm.
        case: Case name put in the rows.

    Returns:
        ``(rows, unlisted)``: one :class:`LabelResult` per group, and the values present
        in ``pred`` or ``gt`` that no group covers (see :mod:`medssl.evaluation.labels`).

    Raises:
        ValueError: If the shapes differ.

    Shape:
        ``pred``, ``gt``: (X, Y, Z).
    """
    if pred.shape != gt.shape:
        raise ValueError(f"{case}: pred and gt shapes differ: {pred.shape} vs {gt.shape}")
    # Every label lies inside the box of all foreground; cropping to it (plus the one-voxel
    # margin that surfaces need) changes no metric and makes large volumes fast.
    box = union_bbox(pred != 0, gt != 0, margin=1)
    outside = 0
    if box is not None:
        size = pred.size
        pred, gt = pred[box], gt[box]
        outside = size - pred.size
    groups, unlisted = groups_for_case(labels, present_values(pred, gt))
    rows = []
    for group in groups:
        m = compute_mask_metrics(
            group.mask(pred),
            group.mask(gt),
            spacing=spacing,
            nsd_tolerance=nsd_tolerance,
            background_outside=outside,
        )
        rows.append(LabelResult(case=case, label=group.name, **m))  # type: ignore[arg-type]
    return rows, unlisted


def summarize(rows: Sequence[LabelResult]) -> list[Summary]:
    """Mean ± std over cases of every metric, per label (labels in first-seen order).

    Only finite values are averaged; the others are counted in ``Summary.excluded``.
    """
    order = list(dict.fromkeys(r.label for r in rows))
    out = []
    for label in order:
        mine = [r for r in rows if r.label == label]
        for metric in METRICS:
            values = np.array([getattr(r, metric) for r in mine], dtype=np.float64)
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                mean = std = math.nan
            else:
                mean, std = float(finite.mean()), float(finite.std())
            out.append(
                Summary(label, metric, mean, std, int(finite.size), values.size - finite.size)
            )
    return out


@dataclass
class SegmentationMetric:
    """Accumulates per-case, per-label metrics; :meth:`aggregate` gives mean ± std.

    Args:
        labels: Groups to evaluate (see :func:`medssl.evaluation.parse_labels`);
            ``None`` evaluates each non-zero value present in each case.
        nsd_tolerance: NSD tolerance in mm.

    Attributes:
        rows: Every :class:`LabelResult` so far.
        unlisted: Case → values present but in no group of ``labels``.
        empty_cases: Cases that gave no row (``labels=None`` and both maps all zero).
        empty_predictions: Label → cases whose prediction of it is empty while the
            reference is not (HD95 is undefined there and left out of the mean).

    Example:
        >>> metric = SegmentationMetric(labels=parse_labels("wt=1+2+3+4"))  # doctest: +SKIP
        >>> metric(pred, gt, spacing=(1, 1, 1), case="pat0006")  # doctest: +SKIP
        >>> metric.aggregate()  # doctest: +SKIP
    """

    labels: list[LabelGroup] | None = None
    nsd_tolerance: float = 1.0
    rows: list[LabelResult] = field(default_factory=list, init=False)
    unlisted: dict[str, list[int]] = field(default_factory=dict, init=False)
    empty_cases: list[str] = field(default_factory=list, init=False)
    empty_predictions: dict[str, list[str]] = field(default_factory=dict, init=False)

    def __call__(
        self, pred: np.ndarray, gt: np.ndarray, *, spacing: Sequence[float], case: str
    ) -> list[LabelResult]:
        """Evaluate one case, keep and return its rows."""
        rows, unlisted = evaluate_labelmaps(
            pred,
            gt,
            spacing=spacing,
            labels=self.labels,
            nsd_tolerance=self.nsd_tolerance,
            case=case,
        )
        self.rows.extend(rows)
        for row in rows:
            if row.pred_voxels == 0 and row.gt_voxels > 0:
                self.empty_predictions.setdefault(row.label, []).append(case)
        if not rows:
            self.empty_cases.append(case)
        if unlisted:
            self.unlisted[case] = unlisted
        return rows

    def aggregate(self) -> list[Summary]:
        """Mean ± std over the cases seen so far, per label and metric."""
        return summarize(self.rows)

    def absent_labels(self) -> list[LabelGroup]:
        """The listed groups found in no prediction and no reference of any case so far.

        Such a group is most likely a wrong ``--labels`` value: it would score 1.0 by the
        "both empty" rule everywhere.
        """
        if self.labels is None or not self.rows:
            return []
        seen = {r.label for r in self.rows if r.gt_voxels > 0 or r.pred_voxels > 0}
        return [g for g in self.labels if g.name not in seen]

    def reset(self) -> None:
        """Forget every case."""
        self.rows.clear()
        self.unlisted.clear()
        self.empty_cases.clear()
        self.empty_predictions.clear()

"""Voxel-overlap metrics of two binary masks: Dice, IoU, sensitivity, specificity.

The formulas are those of MONAI (``monai.metrics.compute_dice``, ``compute_iou`` and
``compute_confusion_matrix_metric``); they are computed here from integer voxel counts
with numpy, which is exact and avoids building one-hot tensors of a whole volume.
``tests/evaluation/test_overlap.py`` checks the agreement with MONAI.

Empty masks (the rules, also listed in :mod:`medssl.evaluation`):

==========================  ======  =====  ===========  ===========
case                        Dice    IoU    sensitivity  specificity
==========================  ======  =====  ===========  ===========
both empty                  1       1      NaN          1
only ``gt`` empty           0       0      NaN          < 1
only ``pred`` empty         0       0      0            1
``gt`` fills the volume     (usual) (usual) (usual)     NaN
==========================  ======  =====  ===========  ===========

NaN means *undefined* (a rate over zero voxels): it is written as ``nan`` and left
out of means over cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConfusionCounts:
    """Voxel counts of a binary prediction against a binary reference.

    Args:
        tp: Foreground in both.
        fp: Foreground in ``pred`` only.
        tn: Background in both.
        fn: Foreground in ``gt`` only.
    """

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def gt_voxels(self) -> int:
        """Foreground voxels of the reference."""
        return self.tp + self.fn

    @property
    def pred_voxels(self) -> int:
        """Foreground voxels of the prediction."""
        return self.tp + self.fp


def confusion_counts(
    pred: np.ndarray, gt: np.ndarray, *, background_outside: int = 0
) -> ConfusionCounts:
    """Count true/false positives and negatives.

    Args:
        pred: Predicted mask; any non-zero voxel is foreground.
        gt: Reference mask of the same shape.
        background_outside: Voxels cut away before the call (a crop of a larger
            volume) that are background in both masks; added to TN.

    Returns:
        The four counts.

    Raises:
        ValueError: If the shapes differ.

    Shape:
        ``pred``, ``gt``: any, equal (e.g. (X, Y, Z)).
    """
    pred = np.asarray(pred).astype(bool, copy=False)
    gt = np.asarray(gt).astype(bool, copy=False)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape; got {pred.shape} vs {gt.shape}")
    n_pred = int(np.count_nonzero(pred))
    n_gt = int(np.count_nonzero(gt))
    tp = int(np.count_nonzero(pred & gt)) if n_pred and n_gt else 0
    fp = n_pred - tp
    fn = n_gt - tp
    tn = int(pred.size) - tp - fp - fn + int(background_outside)
    return ConfusionCounts(tp=tp, fp=fp, tn=tn, fn=fn)


def _ratio(num: int, den: int, *, empty: float) -> float:
    return float(num) / float(den) if den else empty


def dice_from_counts(c: ConfusionCounts) -> float:
    """Dice ``2 TP / (2 TP + FP + FN)``; 1.0 when both masks are empty."""
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, empty=1.0)


def iou_from_counts(c: ConfusionCounts) -> float:
    """Intersection over union ``TP / (TP + FP + FN)``; 1.0 when both masks are empty."""
    return _ratio(c.tp, c.tp + c.fp + c.fn, empty=1.0)


def sensitivity_from_counts(c: ConfusionCounts) -> float:
    """Sensitivity (recall) ``TP / (TP + FN)``; NaN when ``gt`` is empty."""
    return _ratio(c.tp, c.tp + c.fn, empty=float("nan"))


def specificity_from_counts(c: ConfusionCounts) -> float:
    """Specificity ``TN / (TN + FP)``; NaN when ``gt`` has no background voxel."""
    return _ratio(c.tn, c.tn + c.fp, empty=float("nan"))


def overlap_metrics(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """Dice, IoU, sensitivity and specificity of two binary masks.

    Args:
        pred: Predicted mask; any non-zero voxel is foreground.
        gt: Reference mask of the same shape.

    Returns:
        ``{"dice", "iou", "sensitivity", "specificity"}`` as floats, following the
        empty-mask rules in this module's docstring.

    Raises:
        ValueError: If the shapes differ.
    """
    c = confusion_counts(pred, gt)
    return {
        "dice": dice_from_counts(c),
        "iou": iou_from_counts(c),
        "sensitivity": sensitivity_from_counts(c),
        "specificity": specificity_from_counts(c),
    }

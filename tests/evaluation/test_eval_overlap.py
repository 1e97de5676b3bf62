"""Dice, IoU, sensitivity, specificity: agreement with MONAI and the empty-mask rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from monai.metrics import (
    compute_confusion_matrix_metric,
    compute_dice,
    compute_iou,
    get_confusion_matrix,
)

from medssl.evaluation import confusion_counts, overlap_metrics


def monai_overlap(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    p = torch.from_numpy(pred.astype(np.float32))[None, None]
    g = torch.from_numpy(gt.astype(np.float32))[None, None]
    cm = get_confusion_matrix(p, g, include_background=True)
    return {
        "dice": float(compute_dice(p, g, ignore_empty=False)),
        "iou": float(compute_iou(p, g, ignore_empty=False)),
        "sensitivity": float(compute_confusion_matrix_metric("sensitivity", cm)),
        "specificity": float(compute_confusion_matrix_metric("specificity", cm)),
    }


def test_agrees_with_monai_on_blob(blob):
    _, gt = blob
    pred = np.roll(gt, 2, axis=0) | np.roll(gt, -1, axis=2)
    ours, ref = overlap_metrics(pred, gt), monai_overlap(pred, gt)
    for name in ours:
        assert ours[name] == pytest.approx(ref[name], abs=1e-6), name


def test_counts(blob):
    _, gt = blob
    pred = np.zeros_like(gt)
    pred[:5] = 1
    c = confusion_counts(pred, gt)
    assert c.tp + c.fp + c.tn + c.fn == gt.size
    assert c.gt_voxels == int(gt.sum()) and c.pred_voxels == int(pred.sum())


def test_both_empty():
    e = np.zeros((8, 8, 8), bool)
    m = overlap_metrics(e, e)
    assert m["dice"] == 1.0 and m["iou"] == 1.0 and m["specificity"] == 1.0
    assert math.isnan(m["sensitivity"])


def test_only_gt_empty(blob):
    _, gt = blob
    m = overlap_metrics(gt, np.zeros_like(gt))
    assert m["dice"] == 0.0 and m["iou"] == 0.0
    assert math.isnan(m["sensitivity"]) and m["specificity"] < 1.0


def test_only_pred_empty(blob):
    _, gt = blob
    m = overlap_metrics(np.zeros_like(gt), gt)
    assert m == {"dice": 0.0, "iou": 0.0, "sensitivity": 0.0, "specificity": 1.0}


def test_gt_fills_volume_has_undefined_specificity():
    full = np.ones((4, 4, 4), bool)
    m = overlap_metrics(full, full)
    assert m["dice"] == 1.0 and math.isnan(m["specificity"])


def test_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        overlap_metrics(np.zeros((4, 4, 4)), np.zeros((4, 4, 5)))

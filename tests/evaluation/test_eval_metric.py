"""The pure per-case function, the accumulating class and the summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medssl.evaluation import (
    METRICS,
    SegmentationMetric,
    csv_text,
    evaluate_labelmaps,
    parse_labels,
    results_table,
)

pytestmark = pytest.mark.filterwarnings("ignore")


def _maps(blob):
    _, gt = blob
    gt = gt.astype(np.uint8)
    gt[gt.shape[0] // 2 :] *= 2  # two labels: 1 and 2
    pred = np.roll(gt, 1, axis=1)
    return pred, gt


def test_rows_per_label_and_group(blob):
    pred, gt = _maps(blob)
    rows, unlisted = evaluate_labelmaps(
        pred, gt, spacing=(1, 1, 1), labels=parse_labels("1,2,fg=1+2"), case="c1"
    )
    assert [r.label for r in rows] == ["1", "2", "fg"] and unlisted == []
    fg = rows[2]
    assert fg.case == "c1" and 0.5 < fg.dice < 1 and fg.gt_voxels == int((gt > 0).sum())


def test_listed_label_absent_scores_both_empty(blob):
    pred, gt = _maps(blob)
    rows, _ = evaluate_labelmaps(pred, gt, spacing=(1, 1, 1), labels=parse_labels("9"))
    assert rows[0].dice == 1.0 and rows[0].hd95 == 0.0 and rows[0].nsd == 1.0


def test_accumulate_and_aggregate(blob):
    pred, gt = _maps(blob)
    metric = SegmentationMetric(labels=parse_labels("1"), nsd_tolerance=2.0)
    metric(gt, gt, spacing=(1, 1, 1), case="perfect")
    metric(pred, gt, spacing=(1, 1, 1), case="shifted")
    assert len(metric.rows) == 2 and metric.unlisted == {"perfect": [2], "shifted": [2]}
    summary = {s.metric: s for s in metric.aggregate()}
    assert set(summary) == set(METRICS)
    dice = [r.dice for r in metric.rows]
    assert summary["dice"].mean == pytest.approx(np.mean(dice))
    assert summary["dice"].std == pytest.approx(np.std(dice)) and summary["dice"].n == 2
    metric.reset()
    assert metric.rows == [] and metric.unlisted == {}


def test_missed_structure_is_counted_and_leaves_mean_hd95_finite(blob):
    pred, gt = _maps(blob)
    metric = SegmentationMetric(labels=parse_labels("1"))
    ok = metric(pred, gt, spacing=(1, 1, 1), case="ok")[0]
    metric(np.zeros_like(gt), gt, spacing=(1, 1, 1), case="missed")
    metric(pred * 0, gt * 0, spacing=(1, 1, 1), case="empty")  # sensitivity NaN
    s = {x.metric: x for x in metric.aggregate()}
    assert s["hd95"].mean == pytest.approx((ok.hd95 + 0.0) / 2)  # "ok" and "empty"
    assert (s["hd95"].n, s["hd95"].excluded) == (2, 1)
    assert metric.empty_predictions == {"1": ["missed"]}
    assert s["dice"].n == 3 and s["dice"].mean == pytest.approx((ok.dice + 0 + 1) / 3)
    assert s["sensitivity"].n == 2


def test_infinite_values_never_reach_the_mean():
    from medssl.evaluation.metric import LabelResult, summarize

    rows = [
        LabelResult("a", "1", 0.5, 0.3, 0.5, 1.0, 4.0, 0.5, 10, 10),
        LabelResult("b", "1", 0.7, 0.5, 0.7, 1.0, math.inf, 0.5, 10, 10),
    ]
    s = {x.metric: x for x in summarize(rows)}
    assert s["hd95"].mean == 4.0 and (s["hd95"].n, s["hd95"].excluded) == (1, 1)


def test_listed_label_absent_everywhere_is_reported(blob):
    pred, gt = _maps(blob)
    metric = SegmentationMetric(labels=parse_labels("1,et=4"))
    metric(pred, gt, spacing=(1, 1, 1), case="a")
    assert [g.name for g in metric.absent_labels()] == ["et"]


def test_empty_case_without_labels_is_recorded(blob):
    _, gt = blob
    e = np.zeros_like(gt)
    metric = SegmentationMetric()
    assert metric(e, e, spacing=(1, 1, 1), case="blank") == []
    assert metric.empty_cases == ["blank"]


def test_csv_and_table(blob):
    pred, gt = _maps(blob)
    metric = SegmentationMetric()
    metric(pred, gt, spacing=(1, 1, 1), case="a")
    metric(np.zeros_like(gt), gt, spacing=(1, 1, 1), case="b")
    text = csv_text(metric.rows, metric.aggregate())
    lines = text.splitlines()
    assert lines[0].startswith("case,label,dice,iou,sensitivity,specificity,hd95_mm,nsd")
    assert len(lines) == 1 + 4 + 4 * 2
    assert any(line.startswith("b,1,0,0,0,1,nan,0") for line in lines)
    assert any(line.startswith("excluded,1,0,0,0,0,1,0") for line in lines)
    assert any(line.startswith("mean,1,") for line in lines)
    table = results_table(metric.rows, metric.aggregate())
    assert table.row_count == 4 + 2


def test_shape_mismatch():
    with pytest.raises(ValueError, match="shapes differ"):
        evaluate_labelmaps(np.zeros((3, 3, 3)), np.zeros((3, 3, 4)), spacing=(1, 1, 1))

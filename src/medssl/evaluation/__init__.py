"""Segmentation metrics per case and label: Dice, IoU, sensitivity, specificity, HD95, NSD.

The metrics are MONAI's (Dice/IoU/confusion-matrix formulas from voxel counts; HD95 and
NSD from ``monai.metrics``), measured in mm using the grid's spacing. Surface metrics
are computed on the bounding box of ``pred ∪ gt`` plus a margin, which gives the
full-volume result faster on large scans.

Empty-mask rules (per label; NaN means undefined and is left out of means):

=====================  =====  =====  ===========  ===========  ======  =====
case                   Dice   IoU    sensitivity  specificity  HD95    NSD
=====================  =====  =====  ===========  ===========  ======  =====
both empty             1      1      NaN          1            0       1
only reference empty   0      0      NaN          < 1          NaN     0
only prediction empty  0      0      0            1            NaN     0
=====================  =====  =====  ===========  ===========  ======  =====

Summaries over cases: mean and population std of the finite values, with ``n`` (the
cases averaged) and ``excluded`` (the cases left out). An empty prediction is counted
per label (``SegmentationMetric.empty_predictions``), so a missed structure shows
without making a mean infinite; its Dice of 0 stays in the Dice mean.

A label listed in ``--labels`` that is absent from every prediction and every
reference is an error (:func:`~medssl.evaluation.runner.evaluate_paths`), not a
perfect score.

Which labels: see :mod:`medssl.evaluation.labels` (``"1,2,wt=1+2+3+4"``).
"""

from medssl.evaluation.labels import LabelGroup, parse_labels
from medssl.evaluation.metric import (
    METRICS,
    LabelResult,
    SegmentationMetric,
    Summary,
    compute_mask_metrics,
    evaluate_labelmaps,
    summarize,
)
from medssl.evaluation.overlap import ConfusionCounts, confusion_counts, overlap_metrics
from medssl.evaluation.pairing import CasePair, pair_paths
from medssl.evaluation.report import csv_text, results_table, write_csv
from medssl.evaluation.runner import evaluate_pair, evaluate_paths
from medssl.evaluation.surface import hd95, normalized_surface_dice, surface_metrics, union_bbox

__all__ = [
    "METRICS",
    "CasePair",
    "ConfusionCounts",
    "LabelGroup",
    "LabelResult",
    "SegmentationMetric",
    "Summary",
    "compute_mask_metrics",
    "confusion_counts",
    "csv_text",
    "evaluate_labelmaps",
    "evaluate_pair",
    "evaluate_paths",
    "hd95",
    "normalized_surface_dice",
    "overlap_metrics",
    "pair_paths",
    "parse_labels",
    "results_table",
    "summarize",
    "surface_metrics",
    "union_bbox",
    "write_csv",
]

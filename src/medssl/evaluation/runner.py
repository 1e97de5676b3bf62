"""Evaluate prediction files against reference files (the library side of ``medssl evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from medssl.errors import MedsslError
from medssl.evaluation.labels import LabelGroup
from medssl.evaluation.metric import LabelResult, SegmentationMetric
from medssl.evaluation.pairing import CasePair, pair_paths
from medssl.io import check_same_grid, read_label


def evaluate_pair(pair: CasePair, metric: SegmentationMetric) -> list[LabelResult]:
    """Read one prediction/reference pair, check their grids, and evaluate it.

    The spacing used for HD95 and NSD is that of the reference's grid.

    Args:
        pair: The case name and its two files.
        metric: The accumulator that evaluates and keeps the rows.

    Returns:
        The case's rows (also kept by ``metric``).

    Raises:
        MedsslError: Unreadable file, non-integer labels, or grids that differ in
            shape or affine (no resampling is done).
    """
    pred = read_label(pair.pred)
    gt = read_label(pair.gt, reference=pair.pred)
    check_same_grid(
        pred.geometry, gt.geometry, what=f"case {pair.case}: prediction and reference grids"
    )
    return metric(pred.array, gt.array, spacing=gt.geometry.spacing, case=pair.case)


def evaluate_paths(
    pred: str | Path,
    gt: str | Path,
    *,
    labels: list[LabelGroup] | None = None,
    nsd_tolerance: float = 1.0,
    progress: bool = False,
) -> SegmentationMetric:
    """Evaluate a prediction file or folder against the reference file or folder.

    Args:
        pred: Prediction label file, or folder of files.
        gt: Reference file, or folder with files of the same names.
        labels: Groups to evaluate (``None``: every value present, per case).
        nsd_tolerance: NSD tolerance in mm.
        progress: Show a progress bar with ETA over the cases.

    Returns:
        The accumulator holding every row (``.rows``, ``.aggregate()``, ``.unlisted``).

    Raises:
        MedsslError: See :func:`~medssl.evaluation.pairing.pair_paths` and
            :func:`evaluate_pair`; also for a negative tolerance, and for a listed label
            found in no prediction and no reference (a perfect "both empty" score there
            would hide a wrong ``--labels`` value).
    """
    if not nsd_tolerance >= 0:
        raise MedsslError(f"--nsd-tolerance must be >= 0 mm; got {nsd_tolerance}")
    pairs: Sequence[CasePair] = pair_paths(pred, gt)
    metric = SegmentationMetric(labels=labels, nsd_tolerance=nsd_tolerance)
    if progress:
        from medssl.progress import track

        for pair in track(pairs, "evaluate"):
            evaluate_pair(pair, metric)
    else:
        for pair in pairs:
            evaluate_pair(pair, metric)
    absent = metric.absent_labels()
    if absent:
        names = ", ".join(f"{g.name}={'+'.join(map(str, g.values))}" for g in absent)
        where = f"{pairs[0].pred} or {pairs[0].gt}" if len(pairs) == 1 else f"{pred} or {gt}"
        raise MedsslError(
            f"--labels: {names} found in no prediction and no reference ({where}); "
            "a label must be present in at least one file to be evaluated"
        )
    return metric

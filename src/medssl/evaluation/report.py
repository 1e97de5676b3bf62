"""Output of an evaluation: a CSV file (written atomically) and a rich table.

CSV layout: one row per case and label, then summary rows whose ``case`` column is
``mean``, ``std``, ``n`` (the number of cases the mean averages) or ``excluded`` (the
cases left out because the metric is undefined there, e.g. the HD95 of an empty
prediction). Columns: ``case, label, dice, iou, sensitivity, specificity, hd95_mm,
nsd, gt_voxels, pred_voxels``. Undefined values are written ``nan`` (read back as a
float by Python and pandas).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from medssl.evaluation.metric import METRICS, LabelResult, Summary
from medssl.io import atomic_write_text

COLUMNS: tuple[str, ...] = (
    "case",
    "label",
    "dice",
    "iou",
    "sensitivity",
    "specificity",
    "hd95_mm",
    "nsd",
    "gt_voxels",
    "pred_voxels",
)
_HEADERS = {
    "hd95": "HD95 mm",
    "nsd": "NSD",
    "dice": "Dice",
    "iou": "IoU",
    "sensitivity": "Sens",
    "specificity": "Spec",
}


def _num(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def csv_text(rows: Sequence[LabelResult], summaries: Sequence[Summary]) -> str:
    """The CSV file's text (see the module docstring for the layout)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [r.case, r.label, *(_num(getattr(r, m)) for m in METRICS), r.gt_voxels, r.pred_voxels]
        )
    labels = list(dict.fromkeys(s.label for s in summaries))
    table = {(s.label, s.metric): s for s in summaries}
    for stat in ("mean", "std", "n", "excluded"):
        for label in labels:
            values = []
            for m in METRICS:
                s = table[(label, m)]
                value = getattr(s, stat)
                values.append(str(value) if stat in ("n", "excluded") else _num(value))
            writer.writerow([stat, label, *values, "", ""])
    return buf.getvalue()


def write_csv(path: str | Path, rows: Sequence[LabelResult], summaries: Sequence[Summary]) -> Path:
    """Write the per-case and summary rows to ``path`` atomically.

    Raises:
        MedsslError: If the folder cannot be created or written.
    """
    atomic_write_text(path, csv_text(rows, summaries))
    return Path(path)


def _cell(value: float, metric: str) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf"
    return f"{value:.2f}" if metric == "hd95" else f"{value:.4f}"


def results_table(rows: Sequence[LabelResult], summaries: Sequence[Summary], *, title: str = ""):
    """A ``rich.table.Table``: per-case rows, then mean ± std per label.

    The mean row names the number of cases it averages; a metric that averages fewer
    (undefined in some cases) says so in its cell, e.g. ``12.30 ± 1.20 (n=3)``.
    """
    from rich.table import Table

    table = Table(title=title or None, show_lines=False)
    table.add_column("case")
    table.add_column("label")
    for m in METRICS:
        table.add_column(_HEADERS[m], justify="right", no_wrap=True)
    for r in rows:
        table.add_row(r.case, r.label, *(_cell(getattr(r, m), m) for m in METRICS))
    labels = list(dict.fromkeys(s.label for s in summaries))
    lookup = {(s.label, s.metric): s for s in summaries}
    n_cases = len(dict.fromkeys(r.case for r in rows))
    if rows:
        table.add_section()
    for i, label in enumerate(labels):
        cells = []
        for m in METRICS:
            s = lookup[(label, m)]
            cell = _cell(s.mean, m)
            if not math.isnan(s.std):
                cell += f" ± {_cell(s.std, m)}"
            if s.n != n_cases:
                cell += f" (n={s.n})"
            cells.append(cell)
        first = f"mean ± std (n={n_cases})" if i == 0 else ""
        table.add_row(first, label, *cells, style="bold")
    return table

"""``results.csv`` and ``table.md`` of an experiment, from its finished cells.

``results.csv`` has one row per cell, test case and evaluated label. ``table.md``
holds, per evaluated label, two Markdown tables in the style of the SSL papers:

1. **Dice by labelled fraction**: rows are methods, columns fractions; a cell is the
   mean ± std (population) over seeds and folds of each run's mean test Dice.
2. **Dice by tumour size** (as in SAR, Table 2): the test cases are put into small,
   medium and large by the tertiles of their reference volumes (one volume per test
   case, from its label); a cell is the mean ± std Dice over every (run, case) of that
   size group. With few test cases the caption says how few; with fewer than
   ``MIN_SIZE_CASES`` there are no tertiles, and one line says so instead.

With several evaluated labels (organs), a first table gives the mean Dice over all of
them: each run's mean over its test cases and labels, then mean ± std over runs.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medssl.experiments.cell import CellResult

COLUMNS = (
    "method",
    "fraction",
    "seed",
    "fold",
    "case",
    "label",
    "dice",
    "hd95",
    "volume_ml",
    "pred_volume_ml",
    "cell",
)
FEW_CASES = 9  # below this, a size group holds fewer than 3 test cases
MIN_SIZE_CASES = 3  # tertiles need at least one test case per group


def result_rows(results: Sequence[CellResult]) -> list[dict[str, Any]]:
    """Flat rows (``COLUMNS``) of every finished cell, numbers as floats."""
    rows = []
    for res in results:
        cell = res.cell
        for row in res.rows:
            rows.append(
                {
                    "method": cell.method,
                    "fraction": cell.fraction,
                    "seed": cell.seed,
                    "fold": "" if cell.split.fold is None else cell.split.fold,
                    "case": row["case"],
                    "label": row["label"],
                    **{k: float(row[k]) for k in ("dice", "hd95", "volume_ml", "pred_volume_ml")},
                    "cell": cell.name,
                }
            )
    return rows


def results_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV text of the rows (numbers with 4 decimals; ``inf`` for a missed structure)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: f"{v:.4f}" if isinstance(v, float) and k != "fraction" else v
                for k, v in row.items()
            }
        )
    return buffer.getvalue()


def _mean_std(values: Sequence[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def _fraction_name(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def fraction_table(
    rows: Sequence[dict[str, Any]], methods: Sequence[str], fractions: Sequence[float]
) -> str:
    """Methods × fractions table of mean ± std over runs of each run's mean test Dice."""
    lines = [
        "| Method | " + " | ".join(_fraction_name(f) for f in fractions) + " |",
        "|---|" + "---:|" * len(fractions),
    ]
    for method in methods:
        cells = []
        for fraction in fractions:
            per_run: dict[str, list[float]] = {}
            for r in rows:
                if r["method"] == method and r["fraction"] == fraction:
                    per_run.setdefault(r["cell"], []).append(r["dice"])
            cells.append(_mean_std([float(np.nanmean(v)) for v in per_run.values()]))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def size_edges(rows: Sequence[dict[str, Any]]) -> tuple[float, float, dict[str, float]]:
    """Tertile edges of the test cases' reference volumes (mL), and the volume per case."""
    volumes = {r["case"]: r["volume_ml"] for r in rows}
    low, high = np.quantile(list(volumes.values()), [1 / 3, 2 / 3])
    return float(low), float(high), volumes


def size_group(volume: float, low: float, high: float) -> int:
    """0 small (≤ low), 1 medium (≤ high), 2 large."""
    return 0 if volume <= low else (1 if volume <= high else 2)


def _cases(n: int) -> str:
    return f"{n} test case" if n == 1 else f"{n} test cases"


def size_table(
    rows: Sequence[dict[str, Any]], methods: Sequence[str], fractions: Sequence[float]
) -> tuple[str, str]:
    """Methods (× fractions) × size-group table of Dice, and its caption."""
    low, high, volumes = size_edges(rows)
    counts = [sum(size_group(v, low, high) == g for v in volumes.values()) for g in range(3)]
    heads = [
        f"small (≤ {low:.1f} mL, {_cases(counts[0])})",
        f"medium ({low:.1f}–{high:.1f} mL, {_cases(counts[1])})",
        f"large (> {high:.1f} mL, {_cases(counts[2])})",
    ]
    lines = ["| Method | Fraction | " + " | ".join(heads) + " |", "|---|---:|---:|---:|---:|"]
    for method in methods:
        for fraction in fractions:
            groups: list[list[float]] = [[], [], []]
            for r in rows:
                if r["method"] == method and r["fraction"] == fraction:
                    groups[size_group(volumes[r["case"]], low, high)].append(r["dice"])
            lines.append(
                f"| {method} | {_fraction_name(fraction)} | "
                + " | ".join(_mean_std(g) for g in groups)
                + " |"
            )
    n = len(volumes)
    caption = (
        f"Size groups are the tertiles of the reference volumes of the {_cases(n)} "
        f"(edges {low:.1f} and {high:.1f} mL)."
    )
    if n < FEW_CASES:
        held = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"
        caption += (
            f" With only {_cases(n)}, each group holds {held}, so a group's Dice "
            "describes single tumours more than a size trend."
        )
    return "\n".join(lines), caption


def table_markdown(
    rows: Sequence[dict[str, Any]],
    *,
    methods: Sequence[str],
    fractions: Sequence[float],
    title: str,
    runs_note: str,
) -> str:
    """The whole ``table.md`` text (one section per evaluated label)."""
    parts = [f"# {title}", ""]
    if not rows:
        return "\n".join(parts + ["No cell has finished yet.", ""])
    labels = list(dict.fromkeys(r["label"] for r in rows))

    def fraction_section(heading: str, sub: Sequence[dict[str, Any]], what: str) -> list[str]:
        n_runs = len({r["cell"] for r in sub})
        caption = (
            f"Mean ± std over {runs_note} of each run's {what} "
            f"({n_runs} finished run{'s' if n_runs != 1 else ''}; "
            "population std; a lone value comes from a single run)."
        )
        return [f"## {heading} by labelled fraction", "", caption, "",
                fraction_table(sub, methods, fractions), ""]  # fmt: skip

    if len(labels) > 1:
        parts += fraction_section(
            f"Mean Dice over {', '.join(labels)}",
            rows,
            "mean test Dice over its cases and these labels",
        )
    for label in labels:
        sub = [r for r in rows if r["label"] == label]
        parts += fraction_section(f"Dice ({label})", sub, "mean test Dice")
        n_cases = len({r["case"] for r in sub})
        if n_cases < MIN_SIZE_CASES:
            parts += [
                (
                    f"No Dice ({label}) by size: its tertiles need at least {MIN_SIZE_CASES} "
                    f"test cases, and there {'is' if n_cases == 1 else 'are'} {n_cases}."
                ),
                "",
            ]
            continue
        table, size_caption = size_table(sub, methods, fractions)
        parts += [f"## Dice ({label}) by tumour size", "", size_caption, "", table, ""]
    return "\n".join(parts)


def write_reports(
    results: Sequence[CellResult],
    out: Path,
    *,
    methods: Sequence[str],
    fractions: Sequence[float],
    runs_note: str,
) -> tuple[Path, Path]:
    """Write ``OUT/results.csv`` and ``OUT/table.md`` atomically; return their paths."""
    from medssl.io import atomic_write_text

    rows = result_rows(results)
    csv_path, md_path = out / "results.csv", out / "table.md"
    atomic_write_text(csv_path, results_csv(rows))
    atomic_write_text(
        md_path,
        table_markdown(
            rows,
            methods=methods,
            fractions=fractions,
            runs_note=runs_note,
            title=f"Fine-tuning results: {out.name}",
        ),
    )
    return csv_path, md_path

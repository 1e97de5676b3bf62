"""``medssl evaluate PRED GT``: segmentation metrics per case and label, table and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def evaluate(
    pred: Annotated[Path, typer.Argument(help="Predicted label file, or folder of label files.")],
    gt: Annotated[
        Path, typer.Argument(help="Reference label file, or folder (files pair by name).")
    ],
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            help="Labels to evaluate, e.g. '1,2' or 'wt=1+2+3+4,tc=1+3+4,et=4'. "
            "Default: every non-zero value present in each case.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write per-case and summary rows to this CSV file."),
    ] = None,
    nsd_tolerance: Annotated[
        float, typer.Option("--nsd-tolerance", help="Normalised surface Dice tolerance in mm.")
    ] = 1.0,
) -> None:
    """Dice, IoU, sensitivity, specificity, HD95 (mm) and NSD of predictions vs references.

    Grids must match exactly (shape and affine); nothing is resampled.
    """
    from rich.console import Console

    from medssl.errors import MedsslError
    from medssl.evaluation import (
        evaluate_paths,
        pair_paths,
        parse_labels,
        results_table,
        write_csv,
    )
    from medssl.io import ensure_writable_dir

    groups = parse_labels(labels)
    if out is not None:
        if out.is_dir():
            raise MedsslError(f"--out must be a CSV file path; got the folder {out}")
        inputs = {p.resolve() for pair in pair_paths(pred, gt) for p in (pair.pred, pair.gt)}
        if out.resolve() in inputs:
            raise MedsslError(
                f"--out {out} is an input of this evaluation; it is never overwritten"
            )
        ensure_writable_dir(out.parent if str(out.parent) else Path("."))
    metric = evaluate_paths(pred, gt, labels=groups, nsd_tolerance=nsd_tolerance, progress=True)
    summaries = metric.aggregate()
    console = Console()
    if not console.is_terminal:  # files and pipes: wide enough that rows do not wrap
        console = Console(width=max(console.width, 140))
    console.print(results_table(metric.rows, summaries, title=f"{pred} vs {gt}"))
    err = Console(stderr=True)
    if metric.unlisted:
        values = sorted({v for vs in metric.unlisted.values() for v in vs})
        err.print(
            f"[yellow]warning:[/] labels {_listing(values)} present but not in --labels "
            f"(in {_cases(len(metric.unlisted))}: {_listing(list(metric.unlisted))}); "
            "not evaluated",
            highlight=False,
        )
    if metric.empty_cases:
        err.print(
            f"[yellow]warning:[/] prediction and reference both empty in "
            f"{_cases(len(metric.empty_cases))} ({_listing(metric.empty_cases)}); nothing "
            "evaluated there (pass --labels to score them as 'both empty')",
            highlight=False,
        )
    for label, cases in metric.empty_predictions.items():
        err.print(
            f"[yellow]warning:[/] label {label}: empty prediction in {_cases(len(cases))} "
            f"({_listing(cases)}); HD95 is undefined there and left out of its mean",
            highlight=False,
        )
    if out is not None:
        write_csv(out, metric.rows, summaries)
        console.print(f"wrote {out}", highlight=False)


def _listing(items: list, *, limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _cases(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"

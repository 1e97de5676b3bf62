"""``run_experiment(cfg)``: run every cell of the grid, resuming, then write the reports.

The resolved config is written to ``OUT/config.yaml``. Finished cells (those with a
``done.json``) are skipped, so an interrupted grid continues where it stopped; the
reports are rewritten after every cell, so they always show what has finished.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from medssl.experiments.cell import CellResult, run_cell
from medssl.experiments.config import ExperimentConfig, split_finetune_options
from medssl.experiments.grid import Cell, plan
from medssl.experiments.report import write_reports


@dataclasses.dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` did.

    Attributes:
        out: Experiment folder.
        results: Every finished cell (skipped ones included).
        ran: Names of the cells run (or resumed) by this call.
        results_csv: ``OUT/results.csv``.
        table_md: ``OUT/table.md``.
    """

    out: Path
    results: list[CellResult]
    ran: list[str]
    results_csv: Path
    table_md: Path


def _runs_note(cfg: ExperimentConfig) -> str:
    parts = [f"{len(cfg.seeds)} seed{'s' if len(cfg.seeds) != 1 else ''}"]
    if cfg.folds:
        parts.append(f"{len(cfg.folds)} fold{'s' if len(cfg.folds) != 1 else ''}")
    return " × ".join(parts)


# Options that change how a run is watched, stored or laid out in memory, not its result.
UNHASHED = frozenset(
    {
        "progress",
        "num_workers",
        "prefetch_factor",
        "log_every",
        "ckpt_every",
        "device",
        "cache",
        "channels_last",
    }
)


def shared_settings(cfg: ExperimentConfig) -> dict[str, Any]:
    """Settings common to every cell, as the user gave them, hashed into each fingerprint.

    Library defaults are left out on purpose: a new release that adds an option does
    not invalidate finished cells, while any option written in the config does.
    """
    return {
        "finetune": {k: v for k, v in sorted(cfg.finetune.items()) if k not in UNHASHED},
        "labels": cfg.labels,
        "eval_labels": cfg.eval_labels,
        "overlap": cfg.overlap,
        "mirror": cfg.mirror,
    }


def run_experiment(
    cfg: ExperimentConfig, *, report_only: bool = False, progress: bool = True
) -> ExperimentResult:
    """Run (or resume) the grid of ``cfg`` and write ``results.csv`` and ``table.md``.

    Args:
        cfg: The experiment.
        report_only: Run no cell; rebuild the reports from the finished cells.
        progress: Show a progress bar over the cells, with ETA.

    Returns:
        The finished cells and the report paths.

    Raises:
        MedsslError: Bad config, data or weights (checked before any cell runs), or a
            finished cell written with other settings.
    """
    from medssl.config import save_config
    from medssl.io import ensure_writable_dir

    cells = plan(cfg)
    ft, tr = split_finetune_options(cfg.finetune, source="finetune")
    ft = dataclasses.replace(ft, labels=cfg.labels)
    out = ensure_writable_dir(cfg.out)
    save_config(cfg, out / "config.yaml")
    settings = shared_settings(cfg)
    done_before = sum((out / "cells" / c.name / "done.json").is_file() for c in cells)

    def run(cell: Cell) -> CellResult | None:
        if report_only and not (out / "cells" / cell.name / "done.json").is_file():
            return None
        return run_cell(
            cell,
            out=out,
            ft_template=ft,
            train_template=tr,
            settings=settings,
            eval_labels=cfg.eval_labels,
            overlap=cfg.overlap,
            mirror=cfg.mirror,
        )

    results: list[CellResult] = []
    ran: list[str] = []

    def report() -> tuple[Path, Path]:
        return write_reports(
            results,
            out,
            methods=list(cfg.methods),
            fractions=cfg.fractions,
            runs_note=_runs_note(cfg),
        )

    if not progress:
        for cell in cells:
            res = run(cell)
            if res is not None:
                results.append(res)
                ran += [] if res.skipped else [cell.name]
        paths = report()
        return ExperimentResult(out, results, ran, *paths)

    from medssl.progress import progress_bar

    with progress_bar() as bar:
        task = bar.add_task("experiment cells", total=len(cells), completed=done_before, info="")
        for cell in cells:
            bar.update(task, info=cell.name)
            start = time.perf_counter()
            res = run(cell)
            if res is None:
                continue
            results.append(res)
            if res.skipped:
                continue
            ran.append(cell.name)
            dice = [r["dice"] for r in res.rows]
            bar.console.print(
                f"{cell.name}: mean Dice {sum(dice) / len(dice):.3f} "
                f"({time.perf_counter() - start:.0f} s)"
            )
            bar.advance(task)
            report()
        bar.update(task, info="")
    paths = report()
    return ExperimentResult(out, results, ran, *paths)

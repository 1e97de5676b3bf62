"""``medssl pretrain --method NAME DATA... --out RUN``: self-supervised pre-training.

Options come from, in increasing priority: the defaults of
:class:`~medssl.config.TrainConfig`, ``--config cfg.yaml``, ``--set key=value`` and the
named flags. The same command runs under ``torchrun --nproc_per_node N -m
medssl.cli.main pretrain ...``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer


def records_from_specs(
    specs: list[str], *, modality: str | None = None, series: str | None = None
) -> list[Any]:
    """Records of every data spec (image file, folder, glob, CSV, dataset.json), in order.

    ``series`` is the SeriesInstanceUID read from DICOM folders holding several.

    Raises:
        MedsslError: If a spec matches nothing or cannot be read.
    """
    from medssl.data import load_records, with_series

    records: list[Any] = []
    for spec in specs:
        records.extend(load_records(spec, modality=modality))
    return with_series(records, series)


def pretrain(
    data: Annotated[
        list[str] | None, typer.Argument(help="Image files/folders/globs, CSV or dataset.json.")
    ] = None,
    method: Annotated[str | None, typer.Option("--method", help="Self-supervised method.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run folder.")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML file of TrainConfig keys.")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Optimiser steps.")] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Samples per step and process.")
    ] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Base learning rate.")] = None,
    precision: Annotated[
        str | None,
        typer.Option("--precision", help="auto (bf16 where the hardware has it), bf16 or fp32."),
    ] = None,
    num_workers: Annotated[
        int | None, typer.Option("--num-workers", help="DataLoader worker processes.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Run seed.")] = None,
    modality: Annotated[
        str | None, typer.Option("--modality", help="Modality of the images (CT, MRI...).")
    ] = None,
    series: Annotated[
        str | None,
        typer.Option("--series", help="SeriesInstanceUID to read from DICOM folders with several."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUT/checkpoints/last.pt.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="With --resume: accept changed settings (seed, lr, data...)."),
    ] = False,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="Any config key: --set key=value (repeatable)."),
    ] = None,
) -> None:
    """Pre-train a network with a self-supervised method."""
    from medssl.config import load_config, parse_overrides
    from medssl.engine import pretrain as run_pretrain
    from medssl.engine.run_dir import check_run_dir
    from medssl.errors import MedsslError

    overrides: dict[str, Any] = parse_overrides(sets or [])
    named = {
        "method": method,
        "out": str(out) if out else None,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "precision": precision,
        "num_workers": num_workers,
        "seed": seed,
        "data": list(data) if data else None,
    }
    overrides.update({k: v for k, v in named.items() if v is not None})
    if resume:
        overrides["resume"] = True
    if force:
        overrides["force"] = True
    cfg = load_config(config, overrides)
    if not cfg.data:
        raise MedsslError("no training data: give image files/folders, a CSV or dataset.json")
    if out is None and config is None and "out" not in overrides:
        raise MedsslError("--out RUN is required (the run folder)")
    check_run_dir(cfg.out, resume=cfg.resume)
    records = records_from_specs(cfg.data, modality=modality, series=series)
    result = run_pretrain(cfg, records, argv=["medssl", *sys.argv[1:]])
    if os.environ.get("RANK", "0") == "0":
        loss = f"{result.losses[-1]:.4g}" if result.losses else "n/a"
        typer.echo(
            f"trained {result.step} steps in {result.wall_time_s:.1f} s "
            f"(last loss {loss}); run folder {result.run_dir}"
        )

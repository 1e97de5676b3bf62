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
from typing import Any

import typer


def records_from_specs(specs: list[str], *, modality: str | None = None) -> list[Any]:
    """Records of every data spec (image file, folder, glob, CSV, dataset.json), in order.

    Raises:
        MedsslError: If a spec matches nothing or cannot be read.
    """
    from medssl.data import load_records

    records: list[Any] = []
    for spec in specs:
        records.extend(load_records(spec, modality=modality))
    return records


def pretrain(
    data: list[str] = typer.Argument(None, help="Image files/folders/globs, CSV or dataset.json."),
    method: str | None = typer.Option(None, "--method", help="Self-supervised method."),
    out: Path | None = typer.Option(None, "--out", help="Run folder."),
    config: Path | None = typer.Option(None, "--config", help="YAML file of TrainConfig keys."),
    steps: int | None = typer.Option(None, "--steps", help="Optimiser steps."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Samples per step/process."),
    lr: float | None = typer.Option(None, "--lr", help="Base learning rate."),
    precision: str | None = typer.Option(None, "--precision", help="bf16 or fp32."),
    num_workers: int | None = typer.Option(None, "--num-workers", help="DataLoader workers."),
    seed: int | None = typer.Option(None, "--seed", help="Run seed."),
    modality: str | None = typer.Option(None, "--modality", help="Modality of the images."),
    resume: bool = typer.Option(False, "--resume", help="Continue OUT/checkpoints/last.pt."),
    sets: list[str] = typer.Option([], "--set", help="Any config key: --set key=value."),
) -> None:
    """Pre-train a network with a self-supervised method."""
    from medssl.config import load_config, parse_overrides
    from medssl.engine import pretrain as run_pretrain
    from medssl.errors import MedsslError

    overrides: dict[str, Any] = parse_overrides(sets)
    named = {"method": method, "out": str(out) if out else None, "steps": steps,
             "batch_size": batch_size, "lr": lr, "precision": precision,
             "num_workers": num_workers, "seed": seed, "data": list(data) if data else None}
    overrides.update({k: v for k, v in named.items() if v is not None})
    if resume:
        overrides["resume"] = True
    cfg = load_config(config, overrides)
    if not cfg.data:
        raise MedsslError("no training data: give image files/folders, a CSV or dataset.json")
    if out is None and config is None and "out" not in overrides:
        raise MedsslError("--out RUN is required (the run folder)")
    records = records_from_specs(cfg.data, modality=modality)
    result = run_pretrain(cfg, records, argv=["medssl", *sys.argv[1:]])
    if os.environ.get("RANK", "0") == "0":
        loss = f"{result.losses[-1]:.4g}" if result.losses else "n/a"
        typer.echo(f"trained {result.step} steps in {result.wall_time_s:.1f} s "
                   f"(last loss {loss}); run folder {result.run_dir}")

"""``medssl finetune``: train a segmentation network from a pretrained encoder."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import typer

# TrainConfig keys that only pre-training uses: fine-tuning sets them itself.
PRETRAIN_ONLY = {"method": "--method", "method_options": "--set method_options.*", "data": "DATA"}


def _split_config(path: Path | None, overrides: dict[str, Any]):
    """One YAML/--set namespace for both the fine-tuning and the training keys.

    Dotted keys reach into mappings, as for ``pretrain`` (``model_kwargs.base_width=16``,
    ``preprocess.target_spacing=1.5``).
    """
    from medssl.config import (
        TrainConfig,
        _merge,
        config_from_dict,
        load_config,
        read_config_file,
    )
    from medssl.errors import MedsslError
    from medssl.segmentation.finetune import FinetuneConfig

    data: dict[str, Any] = read_config_file(path) if path is not None else {}
    _merge(data, overrides, str(path or "--set"))
    ft_keys = {f.name for f in dataclasses.fields(FinetuneConfig)}
    tr_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    pretrain_only = sorted(set(data) & set(PRETRAIN_ONLY) - ft_keys)
    if pretrain_only:
        key = pretrain_only[0]
        raise MedsslError(
            f"'{key}' in {path or '--set'} is a pre-training option ({PRETRAIN_ONLY[key]} of "
            "medssl pretrain); fine-tuning takes its data from --train and sets the method"
        )
    unknown = sorted(set(data) - ft_keys - tr_keys)
    if unknown:
        raise MedsslError(
            f"unknown config key(s) {unknown} in {path or '--set'}; "
            f"valid: {', '.join(sorted(ft_keys | tr_keys - set(PRETRAIN_ONLY)))}"
        )
    ft = config_from_dict(
        FinetuneConfig,
        {k: v for k, v in data.items() if k in ft_keys},
        source=str(path or "options"),
    )
    tr_data = {k: v for k, v in data.items() if k in tr_keys and k not in ft_keys}
    tr_data.setdefault("method", "finetune")
    tr_data.setdefault("schedule", "cosine")
    tr_data.setdefault("lr", 3e-4)
    tr_data.setdefault("steps", 500)
    tr = load_config(None, tr_data, cls=TrainConfig)
    return ft, tr


def finetune(
    train: str | None = typer.Option(None, "--train", help="Labelled training data spec."),
    val: str | None = typer.Option(None, "--val", help="Validation data spec."),
    val_ids: str | None = typer.Option(None, "--val-ids", help="Case ids moved to validation."),
    label_rule: str | None = typer.Option(
        None, "--label-rule", help="Label pairing for folder/glob specs, e.g. label.nii.gz."
    ),
    labels: str | None = typer.Option(None, "--labels", help="Classes, e.g. 1,2 or wt=1+2+3+4."),
    out: Path | None = typer.Option(None, "--out", help="Run folder."),
    pretrained: Path | None = typer.Option(None, "--pretrained", help="Weights to start from."),
    init: str | None = typer.Option(None, "--init", help="encoder or encoder+decoder."),
    fraction: float | None = typer.Option(None, "--fraction", help="Share of training cases."),
    preset: str | None = typer.Option(
        None, "--preset", help="Preprocessing preset (default: by the data's modality)."
    ),
    modality: str | None = typer.Option(
        None, "--modality", help="ct or mr: picks the preset (default: from the data)."
    ),
    spacing: float | None = typer.Option(
        None,
        "--spacing",
        help="Working resolution in mm: cases are resampled to it and not rescaled to a "
        "grid (with --grid they are padded or cropped to it).",
    ),
    grid: int | None = typer.Option(None, "--grid", help="Network grid size."),
    channel: int | None = typer.Option(None, "--channel", help="Channel of 4D images."),
    series: str | None = typer.Option(
        None, "--series", help="SeriesInstanceUID to read from DICOM folders with several."
    ),
    patch: str | None = typer.Option(None, "--patch", help="Patch size, e.g. 64,64,64."),
    no_augment: bool = typer.Option(False, "--no-augment", help="Turn augmentation off."),
    steps: int | None = typer.Option(None, "--steps"),
    batch_size: int | None = typer.Option(None, "--batch-size"),
    lr: float | None = typer.Option(None, "--lr"),
    seed: int | None = typer.Option(None, "--seed"),
    precision: str | None = typer.Option(
        None, "--precision", help="auto (bf16 where the hardware has it), bf16 or fp32."
    ),
    num_workers: int | None = typer.Option(None, "--num-workers"),
    model: str | None = typer.Option(None, "--model", help="Registered network name."),
    resume: bool = typer.Option(False, "--resume", help="Continue OUT/checkpoints/last.pt."),
    force: bool = typer.Option(
        False, "--force", help="With --resume: accept changed settings (seed, lr, data...)."
    ),
    config: Path | None = typer.Option(None, "--config", help="YAML of finetune/train keys."),
    sets: list[str] = typer.Option([], "--set", help="Any config key: --set key=value."),
) -> None:
    """Fine-tune a segmentation network (Dice + CE) from a pretrained encoder."""
    from medssl.config import parse_overrides
    from medssl.errors import MedsslError
    from medssl.segmentation.finetune import finetune as run

    overrides: dict[str, Any] = parse_overrides(sets)
    named = {
        "train": train,
        "val": val,
        "label_rule": label_rule,
        "labels": labels,
        "out": str(out) if out else None,
        "pretrained": str(pretrained) if pretrained else None,
        "init": init,
        "fraction": fraction,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "precision": precision,
        "num_workers": num_workers,
        "model": model,
        "modality": modality,
        "channel": channel,
        "series": series,
    }
    overrides.update({k: v for k, v in named.items() if v is not None})
    if val_ids:
        overrides["val_ids"] = [s.strip() for s in val_ids.split(",") if s.strip()]
    if patch:
        try:
            overrides["patch"] = [int(p) for p in patch.split(",")]
        except ValueError:
            raise MedsslError(f"--patch must be integers like 64,64,64; got '{patch}'") from None
    if no_augment:
        overrides["augment"] = False
    if resume:
        overrides["resume"] = True
    if force:
        overrides["force"] = True
    ft, tr = _split_config(config, overrides)
    if spacing is not None and not spacing > 0:
        raise MedsslError(f"--spacing must be a positive number of mm; got {spacing}")
    if grid is not None and grid < 1:
        raise MedsslError(f"--grid must be a positive integer; got {grid}")
    if preset or spacing or grid:
        pre = {"preset": preset} if preset else dict(ft.preprocess)
        if spacing:
            # The working resolution is the spacing itself: no rescaling to fit a grid.
            pre.update(target_spacing=spacing, grid=grid)
            if grid:
                pre["mode"] = "pad"
        elif grid:
            pre["grid"] = grid
        ft = dataclasses.replace(ft, preprocess=pre)
    if ft.modality is not None and ft.modality.strip().lower() not in ("ct", "mr", "mri"):
        raise MedsslError(f"--modality must be 'ct' or 'mr'; got '{ft.modality}'")
    if ft.channel is not None and ft.channel < 0:
        raise MedsslError(f"--channel must be >= 0; got {ft.channel}")
    if len(ft.patch) != 3 or not all(isinstance(p, int) and p >= 1 for p in ft.patch):
        raise MedsslError(f"patch size must be 3 positive integers; got {ft.patch}")
    from medssl.models import create_model
    from medssl.segmentation.classes import parse_classes
    from medssl.segmentation.preprocess_choice import check_preprocess

    check_preprocess(ft.preprocess)
    # The network's options are checked before any case is read.
    n_classes = len(parse_classes(ft.labels)) + 1
    create_model(tr.model, **{"in_channels": 1, "out_channels": n_classes, **tr.model_kwargs})
    path = run(ft, tr, argv=["medssl", *sys.argv[1:]])
    typer.echo(f"fine-tuned model written to {path}")

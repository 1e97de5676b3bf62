"""Run one cell of the grid: fine-tune, predict the test cases, evaluate, write ``done.json``.

Cell folder ``OUT/cells/<name>/``:

- the fine-tuning run (``config.yaml``, ``checkpoints/``, ``log.csv``, ``model.pt``...);
- ``pred/<case id>.nii.gz``: the test predictions, in each scan's own grid;
- ``done.json``: the cell's settings (and their hash) and one metrics row per test case and
  evaluated label. It is written atomically and last, so a cell is finished exactly
  when it exists.

A cell without ``done.json`` restarts: its training resumes from
``checkpoints/last.pt`` when there is one, and starts afresh otherwise. ``started.json``,
written when a cell starts, holds its settings' hash: a half-finished cell whose
settings have changed since starts afresh too (with a warning naming the changed
keys), so a cell's model is never trained under two settings and no ``--force`` is
needed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.experiments.grid import Cell

DONE = "done.json"
STARTED = "started.json"
SPLITS = "splits"


@dataclasses.dataclass(frozen=True)
class CellResult:
    """A finished cell.

    Attributes:
        cell: The cell.
        rows: One dict per test case and label: case, label, dice, hd95, volume_ml,
            pred_volume_ml.
        skipped: True when the cell was already done before this run.
    """

    cell: Cell
    rows: list[dict[str, Any]]
    skipped: bool


def read_done(path: Path, cell: Cell, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics rows of a finished cell, after checking it was run with ``settings``.

    Raises:
        MedsslError: Unreadable file, or a cell finished with other settings (the
            message names the keys that differ).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows, stored = data["rows"], data["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MedsslError(f"cannot read {path} ({exc}); delete it to redo that cell") from None
    if stored != cell.fingerprint(settings):
        current = json.loads(json.dumps(cell.identity(settings), default=str))
        keys = _differences(data.get("identity") or {}, current) or ["unknown"]
        raise MedsslError(
            f"{path} was made with other settings ({', '.join(keys)}); "
            "use another out folder, or delete that cell to redo it"
        )
    return rows


def _same_start(folder: Path, cell: Cell, settings: dict[str, Any]) -> bool:
    """Whether a half-finished cell was started with ``settings`` (warns when not).

    A cell folder without ``started.json`` counts as started with them.
    """
    import warnings

    try:
        data = json.loads((folder / STARTED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError) as exc:
        warnings.warn(f"cannot read {folder / STARTED} ({exc}); cell {cell.name} starts afresh")
        return False
    if isinstance(data, dict) and data.get("fingerprint") == cell.fingerprint(settings):
        return True
    current = json.loads(json.dumps(cell.identity(settings), default=str))
    old = data.get("identity") if isinstance(data, dict) else None
    keys = _differences(old or {}, current) or ["unknown"]
    warnings.warn(
        f"cell {cell.name} was started with other settings ({', '.join(keys)}); "
        "its checkpoint is discarded and the cell starts afresh",
        stacklevel=3,
    )
    return False


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [prefix.rstrip(".") or "value"]
    keys = sorted(set(old) | set(new))
    return [d for k in keys for d in _differences(old.get(k), new.get(k), f"{prefix}{k}.")]


def write_split_csv(cell: Cell, out: Path) -> Path:
    """``OUT/splits/<split>.csv``: the split's training and validation records."""
    import csv
    import io

    from medssl.io import atomic_write_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "image", "label", "roi", "modality"])
    for r in cell.split.train + cell.split.val:
        writer.writerow(
            [
                r.id,
                Path(r.image).resolve(),
                Path(r.label).resolve() if r.label else "",
                Path(r.roi).resolve() if r.roi else "",
                r.modality or "",
            ]
        )
    path = out / SPLITS / f"{cell.split.name}.csv"
    atomic_write_text(path, buffer.getvalue())
    return path


def predict_and_evaluate(
    model_path: Path,
    cell: Cell,
    pred_dir: Path,
    *,
    eval_labels: str | None,
    overlap: float,
    mirror: bool,
    precision: str,
    device: str | None = "auto",
) -> list[dict[str, Any]]:
    """Predict every test case into ``pred_dir`` (the inference loop) and score it."""
    from medssl.evaluation import evaluate_labelmaps, parse_labels
    from medssl.inference.device import resolve_device
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import Job
    from medssl.io import read_label
    from medssl.segmentation.predict import SegmentationPredictor

    predictor = SegmentationPredictor(
        model_path, overlap=overlap, mirror_axes=(0, 1, 2) if mirror else (), precision=precision
    ).to(resolve_device(device))
    labels = parse_labels(eval_labels or predictor.extra["labels"])
    jobs = [Job(Path(r.image), pred_dir / f"{r.id}.nii.gz") for r in cell.split.test]
    records = {job.target: r for job, r in zip(jobs, cell.split.test)}
    rows: list[dict[str, Any]] = []

    def score(case) -> None:
        record = records[case.job.target]
        gt = read_label(record.label, reference=record.image)
        voxel_ml = float(np.prod(gt.geometry.spacing)) / 1000.0
        results, _ = evaluate_labelmaps(
            np.asarray(case.prediction.mask), gt.array, spacing=gt.geometry.spacing,
            labels=labels, case=record.id,
        )  # fmt: skip
        rows.extend(
            {
                "case": record.id,
                "label": r.label,
                "dice": r.dice,
                "hd95": r.hd95,
                "volume_ml": r.gt_voxels * voxel_ml,
                "pred_volume_ml": r.pred_voxels * voxel_ml,
            }
            for r in results
        )

    run_inference(jobs, predictor, progress=False, on_case=score, description="predict")
    return rows


def run_cell(
    cell: Cell,
    *,
    out: Path,
    ft_template,
    train_template,
    settings: dict[str, Any],
    eval_labels: str | None,
    overlap: float,
    mirror: bool,
) -> CellResult:
    """Run (or resume, or skip) one cell.

    Args:
        cell: The cell.
        out: Experiment folder.
        ft_template: :class:`~medssl.segmentation.finetune.FinetuneConfig` shared by cells.
        train_template: :class:`~medssl.config.TrainConfig` shared by cells.
        settings: Shared settings, hashed into the cell's fingerprint.
        eval_labels: Labels to evaluate; None = the trained labels.
        overlap: Sliding-window overlap.
        mirror: Mirror averaging at prediction.

    Returns:
        The cell's metrics rows.

    Raises:
        MedsslError: Bad data or weights, or a ``done.json`` of other settings.
    """
    from medssl.segmentation.finetune import finetune

    folder = out / "cells" / cell.name
    done = folder / DONE
    fingerprint = cell.fingerprint(settings)
    if done.is_file():
        return CellResult(cell, read_done(done, cell, settings), skipped=True)
    resume = (folder / "checkpoints" / "last.pt").is_file() and _same_start(folder, cell, settings)
    if not resume and folder.exists():
        shutil.rmtree(folder)  # a half-made cell without a usable checkpoint starts afresh
    from medssl.io import atomic_write_text

    started = {"fingerprint": fingerprint, "identity": cell.identity(settings)}
    atomic_write_text(folder / STARTED, json.dumps(_plain(started), default=str) + "\n")
    ft = dataclasses.replace(
        ft_template,
        train=str(write_split_csv(cell, out)),
        val=None,
        val_ids=[r.id for r in cell.split.val],
        label_rule=None,
        out=str(folder),
        pretrained=cell.weights,
        fraction=cell.fraction,
    )
    tr = dataclasses.replace(train_template, seed=cell.seed, resume=resume)
    model_path = finetune(ft, tr, argv=["medssl", "experiment", cell.name])
    rows = predict_and_evaluate(
        model_path,
        cell,
        folder / "pred",
        eval_labels=eval_labels,
        overlap=overlap,
        mirror=mirror,
        precision=tr.precision,
        device=tr.device,
    )
    record = {
        "cell": cell.name,
        "method": cell.method,
        "weights": cell.weights,
        "fraction": cell.fraction,
        "seed": cell.seed,
        "fold": cell.split.fold,
        "split": cell.split.ids(),
        "fingerprint": fingerprint,
        "identity": cell.identity(settings),
        "resumed": resume,
        "rows": rows,
    }
    atomic_write_text(done, json.dumps(_plain(record), indent=1) + "\n")
    return CellResult(cell, rows, skipped=False)


def _plain(value: Any) -> Any:
    """JSON-safe copy: infinite/undefined numbers become the strings ``inf``/``nan``."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else "inf")
    if isinstance(value, np.integer):
        return int(value)
    return value

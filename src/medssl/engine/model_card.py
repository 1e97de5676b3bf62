"""``RUN/model_card.md``: a short human-readable record of how a run's weights were made."""

from __future__ import annotations

import datetime as _dt
import platform
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from medssl.engine.precision import resolve_precision
from medssl.errors import MedsslError
from medssl.io.atomic import atomic_write_text


def _record_path(record: Any) -> str:
    for key in ("image", "path"):
        value = record.get(key) if isinstance(record, dict) else getattr(record, key, None)
        if value is not None:
            return str(value)
    return str(record)


def _method_lines(cfg: Any) -> list[str]:
    """A method's own model-card section (its ``card_lines(method_options)``), if any."""
    from medssl.methods.base import METHODS

    try:
        method = METHODS.get(cfg.method)
    except MedsslError:  # finetune and other non-registered runs have none
        return []
    lines = getattr(method, "card_lines", None)
    return list(lines(dict(cfg.method_options or {}))) if lines else []


def write_model_card(
    path: str | Path,
    *,
    cfg: Any,
    argv: Sequence[str],
    records: Sequence[Any],
    wall_time_s: float,
    steps_done: int,
    final_loss: float | None,
    world_size: int,
    device: str,
) -> Path:
    """Write the model card stub.

    Args:
        path: Output ``.md`` file.
        cfg: The resolved :class:`~medssl.config.TrainConfig`.
        argv: The command line that started the run.
        records: The training records (their image paths are listed, at most 10).
        wall_time_s: Wall time of this invocation.
        steps_done: Step reached.
        final_loss: Last logged loss.
        world_size: Number of processes.
        device: Device type.

    Returns:
        The path written.
    """
    import medssl

    shown = [f"- `{_record_path(r)}`" for r in list(records)[:10]]
    if len(records) > 10:
        shown.append(f"- ... and {len(records) - 10} more")
    loss = "n/a" if final_loss is None else f"{final_loss:.6g}"
    text = "\n".join(
        [
            f"# Model card: {cfg.method} / {cfg.model}",
            "",
            (
                "Supervised fine-tuning"
                if cfg.method == "finetune"
                else "Self-supervised pre-training"
            )
            + " run of medssl. Fill in the intended use and limits.",
            "",
            "## Run",
            f"- Command: `{shlex.join(list(argv))}`",
            f"- Method: {cfg.method} {cfg.method_options or ''}",
            f"- Network: {cfg.model} {cfg.model_kwargs or ''}",
            f"- Seed: {cfg.seed} (deterministic: {cfg.deterministic})",
            f"- Steps: {steps_done} of {cfg.steps}, batch {cfg.batch_size} x {world_size} process(es)",
            (
                f"- Optimizer: {cfg.optimizer}, lr {cfg.lr}, schedule {cfg.schedule} "
                f"(warm-up {cfg.warmup_steps})"
            ),
            f"- Precision: {_precision(cfg.precision, device)}, device {device}",
            f"- Final loss: {loss}",
            f"- Wall time: {wall_time_s:.1f} s (this invocation)",
            f"- Finished: {_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}",
            f"- medssl {medssl.__version__}, Python {platform.python_version()}",
            "",
            f"## Data ({len(records)} records)",
            *shown,
            "",
            *_method_lines(cfg),
            "## Files",
            "- `config.yaml`: resolved configuration",
            "- `checkpoints/last.pt`, `checkpoints/best.pt`: training state",
            "- `model.pt`, `encoder.pt`: exported weights",
            "- `log.csv`, `tb/`: training curves",
            "",
        ]
    )
    atomic_write_text(path, text)
    return Path(path)


def _precision(asked: str, device: str) -> str:
    """``auto (fp32 here)``, or the precision asked for."""
    if asked != "auto":
        return asked
    return f"auto ({resolve_precision(torch.device(device), asked)} here)"

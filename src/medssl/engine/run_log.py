"""What a run reports while it trains: ``log.csv``, TensorBoard ``tb/`` and a progress bar.

Only rank 0 makes a :class:`RunLog`. The CSV has one row per ``log_every`` steps with
the step, epoch, window-mean losses, learning rate per optimizer, step time and
samples per second. On resume, rows after the checkpoint's step are dropped so the file
reads like an uninterrupted run's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from medssl.engine.run_dir import writing
from medssl.errors import MedsslError
from medssl.io.atomic import atomic_write_text


class RunLog:
    """CSV + optional TensorBoard + optional rich progress bar.

    Args:
        run_dir: The run folder.
        total_steps: Steps of the whole run (for the progress bar).
        start_step: Step the run starts at (> 0 when resuming).
        progress: Show a progress bar on stderr.
        tensorboard: Write TensorBoard events when tensorboard is installed.
    """

    def __init__(
        self,
        run_dir: str | Path,
        *,
        total_steps: int,
        start_step: int = 0,
        progress: bool = True,
        tensorboard: bool = True,
    ) -> None:
        self.path = Path(run_dir) / "log.csv"
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = self._read_kept(start_step)
        if self.rows:
            self.columns = list(self.rows[0])
        self._write_all()
        self.tb = _tensorboard_writer(Path(run_dir) / "tb", start_step) if tensorboard else None
        self._bar = None
        if progress:
            from medssl.progress import progress_bar

            self._bar = progress_bar()
            self._bar.start()
            self._task = self._bar.add_task(
                "pretrain", total=total_steps, completed=start_step, info=""
            )

    def _read_kept(self, start_step: int) -> list[dict[str, Any]]:
        if start_step == 0 or not self.path.is_file():
            return []
        with self.path.open(newline="") as f:
            return [r for r in csv.DictReader(f) if r.get("step") and int(r["step"]) <= start_step]

    def _write_all(self) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore")
        if self.columns:
            writer.writeheader()
            writer.writerows(self.rows)
        atomic_write_text(self.path, buf.getvalue())

    def log(self, row: dict[str, Any]) -> None:
        """Append a row (its keys become columns; a new key rewrites the header)."""
        row = {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
        self.rows.append(row)
        new = [k for k in row if k not in self.columns]
        with writing(self.path):
            if new or not self.path.is_file():
                self.columns += new
                self._write_all()
            else:
                with self.path.open("a", newline="") as f:
                    writer = csv.DictWriter(f, fieldnames=self.columns, extrasaction="ignore")
                    writer.writerow(row)
        if self.tb is not None:
            step = int(row["step"])
            for key, value in row.items():
                if key not in ("step", "epoch"):
                    try:
                        self.tb.add_scalar(key, float(value), step)
                    except (TypeError, ValueError):
                        pass

    def advance(self, step: int, info: str = "") -> None:
        """Move the progress bar to ``step`` with a short text (e.g. the loss)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=step, info=info)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self.tb is not None:
            self.tb.close()
            self.tb = None


def _tensorboard_writer(folder: Path, start_step: int):
    """A SummaryWriter, or None when tensorboard is not installed."""
    from medssl._optional import optional_import

    try:
        module = optional_import("torch.utils.tensorboard")
    except MedsslError:
        return None
    return module.SummaryWriter(log_dir=str(folder), purge_step=start_step or None)

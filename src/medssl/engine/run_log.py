"""What a run reports while it trains: ``log.csv``, TensorBoard ``tb/`` and its progress.

Only rank 0 makes a :class:`RunLog`. The CSV has one row per ``log_every`` steps with
the step, epoch, window-mean losses, learning rate per optimizer, step time and
samples per second. On resume, rows after the checkpoint's step are dropped so the file
reads like an uninterrupted run's.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from medssl import progress as _progress
from medssl.engine.run_dir import writing
from medssl.errors import MedsslError
from medssl.io.atomic import atomic_write_text


class RunLog:
    """CSV + optional TensorBoard + optional rich progress bar.

    Args:
        run_dir: The run folder.
        total_steps: Steps of the whole run (for the progress bar).
        start_step: Step the run starts at (> 0 when resuming).
        progress: Show progress on stderr: a bar on a terminal, else a line per
            :meth:`advance` call.
        tensorboard: Write TensorBoard events when tensorboard is installed.
        description: Label of the bar and the lines.
    """

    def __init__(
        self,
        run_dir: str | Path,
        *,
        total_steps: int,
        start_step: int = 0,
        progress: bool = True,
        tensorboard: bool = True,
        description: str = "pretrain",
    ) -> None:
        self.path = Path(run_dir) / "log.csv"
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = self._read_kept(start_step)
        if self.rows:
            self.columns = list(self.rows[0])
        self._write_all()
        self.tb = _tensorboard_writer(Path(run_dir) / "tb", start_step) if tensorboard else None
        self._bar = None
        self._lines: StepLines | None = None
        if progress and not _progress.stderr_is_terminal():
            self._lines = StepLines(description, total_steps, start=start_step)
        elif progress:
            self._bar = _progress.progress_bar()
            self._bar.start()
            self._task = self._bar.add_task(
                description, total=total_steps, completed=start_step, info=""
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
        """Move the progress bar to ``step`` with a short text (e.g. the loss).

        Without a terminal, print a progress line instead (the trainer calls this every
        ``log_every`` steps).
        """
        if self._bar is not None:
            self._bar.update(self._task, completed=step, info=info)
        if self._lines is not None:
            self._lines.update(step, info)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self.tb is not None:
            self.tb.close()
            self.tb = None


class StepLines:
    """Progress as plain lines on stderr, for logs where a bar cannot draw.

    A line reads ``medssl: genesis: step 40/1000 (4%), loss 0.31, 12s elapsed, eta 4m 48s``.

    Args:
        description: Label first on the line (the method).
        total: Steps of the whole run.
        start: Step this process started at (a resumed run), for the ETA.
    """

    def __init__(self, description: str, total: int, *, start: int = 0) -> None:
        self.description, self.total, self.start = description, total, start
        self.t0 = time.perf_counter()

    def update(self, step: int, info: str = "") -> None:
        """Print the line for ``step``."""
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / max(1, step - self.start) * max(0, self.total - step)
        percent = 100 * step / max(1, self.total)
        head = f"{self.description}: step {step}/{self.total} ({percent:.0f}%)"
        _progress.progress_line(head, elapsed=elapsed, eta=eta, info=info)


def _tensorboard_writer(folder: Path, start_step: int):
    """A SummaryWriter, or None when tensorboard is not installed."""
    from medssl._optional import optional_import

    try:
        module = optional_import("torch.utils.tensorboard")
    except MedsslError:
        return None
    return module.SummaryWriter(log_dir=str(folder), purge_step=start_step or None)

"""Progress on stderr, shared by every command and the training engine.

On a terminal, a rich bar with elapsed time and ETA; elsewhere (logs, CI, cluster
jobs) plain lines from :func:`progress_line`. :func:`stderr_is_terminal` is the one
place that decides which.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_bar(*, transient: bool = False):
    """A ``rich.progress.Progress`` with description, bar, count, elapsed and ETA columns.

    Bars draw on stderr. When stderr is not a terminal (a pipe, a log file, CI) they
    leave nothing behind, so logs and error output stay clean.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        transient=transient or not console.is_terminal,
        console=console,
    )


def track(items: Iterable[T], description: str, *, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (ETA shown)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar() as bar:
        task = bar.add_task(description, total=total, info="")
        for item in items:
            yield item
            bar.advance(task)


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal (rich's view of it)."""
    from rich.console import Console

    return bool(Console(stderr=True).is_terminal)


def log_every(total: int, *, lines: int = 20) -> int:
    """How many items between two progress lines: about ``lines`` lines per run."""
    return max(1, -(-int(total) // int(lines)))


def track_logged(
    items: Iterable[T], description: str, *, unit: str = "cases", every: int | None = None
) -> Iterator[T]:
    """Like :func:`track`; when stderr is not a terminal, print a progress line instead.

    On a terminal the bar is drawn. Elsewhere (logs, CI, cluster jobs), after every
    ``every`` items (default :func:`log_every`) and after the last one, one line goes
    to stderr, e.g. ``medssl: segment: 10/57 cases, 1m 12s elapsed, eta 5m 38s``.
    """
    import time

    items = list(items)
    if stderr_is_terminal():
        yield from track(items, description)
        return
    total = len(items)
    step = every or log_every(total)
    start = time.perf_counter()
    for done, item in enumerate(items, start=1):
        yield item
        if done % step == 0 or done == total:
            elapsed = time.perf_counter() - start
            eta = elapsed / done * (total - done)
            progress_line(f"{description}: {done}/{total} {unit}", elapsed=elapsed, eta=eta)


def progress_line(head: str, *, elapsed: float, eta: float, info: str = "") -> None:
    """Print ``medssl: HEAD[, INFO], 12s elapsed, eta 4m 48s`` on stderr."""
    import sys

    parts = [f"medssl: {head}", *([info] if info else []), f"{format_duration(elapsed)} elapsed"]
    print(", ".join([*parts, f"eta {format_duration(eta)}"]), file=sys.stderr, flush=True)


def format_duration(seconds: float) -> str:
    """``42s``, ``5m 07s`` or ``2h 03m``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"

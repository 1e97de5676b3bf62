"""SIGINT and SIGTERM during training: finish the step, write a checkpoint, then exit.

While :class:`StopSignals` is active, the first SIGINT (Ctrl-C) or SIGTERM (``kill``,
a cluster scheduler's pre-emption, ``torchrun`` forwarding one) only records the
request; the training loop sees it between two steps, writes ``last.pt`` (a state that
``--resume`` continues exactly) and raises :class:`TrainingInterrupted`. A second
signal while the first is pending stops at once with :class:`KeyboardInterrupt`.

At the command line the exit status is the shell's convention for a death by signal:
``128 + signal number`` (130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any, Self

from medssl.errors import Interrupted

HANDLED = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(Interrupted):
    """Training stopped on a signal after writing a checkpoint.

    Args:
        signum: The signal received.
        step: Step reached (and saved).
        checkpoint: The checkpoint written, or None on a rank that does not write.
    """

    def __init__(self, signum: int, step: int, checkpoint: Path | None) -> None:
        self.step, self.checkpoint = step, checkpoint
        saved = (
            f"checkpoint {checkpoint} written; continue with --resume"
            if checkpoint is not None
            else "checkpoint written by rank 0"
        )
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name} at step {step}; {saved}", signum=signum)


class StopNow(Interrupted):
    """A second signal arrived while the first was still waiting for the step to end."""

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"second {name}: stopped at once", signum=signum)


class StopSignals:
    """Context manager that turns SIGINT/SIGTERM into a stop request.

    Handlers are installed only in the main thread (Python delivers signals there);
    elsewhere the context does nothing and :attr:`signum` stays None. The previous
    handlers are restored on exit.

    Attributes:
        signum: The first signal received, or None.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is not None:
            raise StopNow(signum)
        self.signum = signum

    def install(self) -> StopSignals:
        """Install the handlers (main thread only); return ``self``."""
        if threading.current_thread() is threading.main_thread() and not self._previous:
            for sig in HANDLED:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def __enter__(self) -> Self:
        self.install()
        return self

    def __exit__(self, *_: object) -> None:
        self.restore()

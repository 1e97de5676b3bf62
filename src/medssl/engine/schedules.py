"""Learning-rate schedules: constant, cosine and reduce-on-plateau, each after a warm-up.

The factor applied to an optimizer's base learning rate at step ``s`` (0-based, the
learning rate used by update ``s``) is

- warm-up (``s < W``): ``(s + 1) / W``, a linear ramp that reaches the base rate;
- ``constant``: 1;
- ``cosine``: ``r + (1 - r) * (1 + cos(pi * (s - W) / (T - W))) / 2`` with floor ``r``;
- ``plateau``: 1, multiplied by ``factor`` whenever :meth:`Schedule.observe` sees no
  improvement for ``patience`` evaluations (``torch.optim.lr_scheduler.ReduceLROnPlateau``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau

from medssl.config import SCHEDULES
from medssl.errors import MedsslError


def lr_factor(
    step: int, *, name: str, total_steps: int, warmup_steps: int, min_lr_ratio: float = 0.0
) -> float:
    """Factor of the base learning rate used by update ``step`` (pure function)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if name == "cosine":
        span = max(1, total_steps - warmup_steps)
        progress = min(1.0, (step - warmup_steps) / span)
        return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0


class Schedule:
    """One optimizer's schedule; call :meth:`step` after every update.

    Args:
        optimizer: The optimizer whose groups' learning rates it sets.
        name: ``constant``, ``cosine`` or ``plateau``.
        total_steps: Length of the run.
        warmup_steps: Linear warm-up length.
        min_lr_ratio: Floor of the cosine.
        patience: Plateau patience (evaluations).
        factor: Plateau decay factor.

    Raises:
        MedsslError: On an unknown schedule name (valid names are listed).
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        *,
        name: str,
        total_steps: int,
        warmup_steps: int = 0,
        min_lr_ratio: float = 0.0,
        patience: int = 10,
        factor: float = 0.5,
    ) -> None:
        if name not in SCHEDULES:
            raise MedsslError(f"unknown schedule '{name}'; valid: {', '.join(SCHEDULES)}")
        self.name = name
        self.warmup_steps = warmup_steps
        ramp_name = "constant" if name == "plateau" else name
        self._ramp = LambdaLR(
            optimizer,
            lambda s: lr_factor(
                s,
                name=ramp_name,
                total_steps=total_steps,
                warmup_steps=warmup_steps,
                min_lr_ratio=min_lr_ratio,
            ),
        )
        self._plateau = (
            ReduceLROnPlateau(optimizer, mode="min", factor=factor, patience=patience)
            if name == "plateau"
            else None
        )
        self._steps = 0

    def step(self) -> None:
        """Advance by one update (the plateau schedule only ramps during warm-up)."""
        self._steps += 1
        if self._plateau is None or self._steps <= self.warmup_steps:
            self._ramp.step()

    def observe(self, metric: float) -> None:
        """Report a validation (or smoothed training) loss; only ``plateau`` uses it."""
        if self._plateau is not None and self._steps >= self.warmup_steps:
            self._plateau.step(metric)

    def state_dict(self) -> dict[str, Any]:
        return {
            "steps": self._steps,
            "ramp": self._ramp.state_dict(),
            "plateau": None if self._plateau is None else self._plateau.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._steps = int(state["steps"])
        self._ramp.load_state_dict(state["ramp"])
        if self._plateau is not None and state.get("plateau") is not None:
            self._plateau.load_state_dict(state["plateau"])

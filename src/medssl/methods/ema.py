"""The exponential-moving-average target of BYOL and PGL.

Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020: after each step the target
weights become ``τ·target + (1 - τ)·online``, with ``τ`` rising from ``base`` (0.996)
to 1 on a cosine schedule over the run: ``τ = 1 - (1 - base)·(cos(π·k/K) + 1)/2``.
Buffers (BatchNorm running statistics) are copied.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from medssl.errors import MedsslError


def cosine_momentum(step: int, total_steps: int, *, base: float = 0.996) -> float:
    """``τ`` after ``step`` of ``total_steps`` steps (``base`` at 0, 1 at the end).

    Raises:
        MedsslError: If ``base`` is outside [0, 1] or ``total_steps`` < 1.
    """
    if not 0.0 <= base <= 1.0:
        raise MedsslError(f"EMA base momentum must be in [0, 1]; got {base}")
    if total_steps < 1:
        raise MedsslError(f"total_steps must be >= 1; got {total_steps}")
    progress = min(max(step, 0), total_steps) / total_steps
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


@torch.no_grad()
def update_ema(online: nn.Module, target: nn.Module, momentum: float) -> None:
    """``target ← momentum·target + (1 - momentum)·online``; buffers are copied.

    Raises:
        MedsslError: If the two modules do not have the same parameters.
    """
    online_params = dict(online.named_parameters())
    target_params = dict(target.named_parameters())
    if online_params.keys() != target_params.keys():
        raise MedsslError("EMA target and online network must have the same parameters")
    for name, t in target_params.items():
        t.lerp_(online_params[name].detach().to(t.dtype), 1.0 - momentum)
    online_buffers = dict(online.named_buffers())
    for name, b in target.named_buffers():
        b.copy_(online_buffers[name])

"""LARS: layer-wise adaptive rate scaling (You, Gitman & Ginsburg, 2017, arXiv:1708.03888).

Each weight tensor's update is scaled by a trust ratio ``eta * ||w|| / (||g|| + wd ||w||)``
so that layers learn at comparable relative speeds in large-batch training. Biases and
normalisation weights (tensors of one dimension) are left unscaled and undecayed, as in
the SimCLR/BYOL recipes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


class LARS(torch.optim.Optimizer):
    """SGD with momentum and a per-tensor trust ratio.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Heavy-ball momentum.
        weight_decay: L2 penalty added to the gradient of adapted tensors.
        eta: Trust coefficient.
        exclude_1d: Skip adaptation and decay for 1-D tensors (biases, norms).
        eps: Guard against division by zero.
    """

    def __init__(
        self,
        params: Iterable[Any],
        *,
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        eta: float = 0.001,
        exclude_1d: bool = True,
        eps: float = 1e-8,
    ) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be positive; got {lr}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "eta": eta,
            "exclude_1d": exclude_1d,
            "eps": eps,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Perform one update."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if not (group["exclude_1d"] and p.ndim <= 1):
                    if group["weight_decay"]:
                        grad = grad.add(p, alpha=group["weight_decay"])
                    w_norm, g_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(grad)
                    trust = torch.where(
                        (w_norm > 0) & (g_norm > 0),
                        group["eta"] * w_norm / (g_norm + group["eps"]),
                        torch.ones_like(w_norm),
                    )
                    grad = grad.mul(trust)
                state = self.state[p]
                if group["momentum"]:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.detach().clone()
                    else:
                        buf.mul_(group["momentum"]).add_(grad)
                    grad = buf
                p.add_(grad, alpha=-group["lr"])
        return loss

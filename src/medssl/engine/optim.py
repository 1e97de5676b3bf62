"""Optimizers of a run: one by default, or the named groups a method asks for.

A method's optional ``optimizers(model, cfg)`` hook returns named entries, each either a
ready ``torch.optim.Optimizer`` or a parameter-group spec (a dict) from which the engine
builds one of the configured type::

    {"params": model.unet.parameters()}                      # lr = cfg.lr
    {"params": model.scale_head.parameters(), "lr_scale": 0.1}
    {"params": model.adversary.parameters(), "lr": 1e-3, "optimizer": "adam"}

Keys of a spec: ``params`` (required), ``lr`` (absolute) or ``lr_scale`` (times
``cfg.lr``), ``optimizer`` (a name from :data:`medssl.config.OPTIMIZERS`),
``weight_decay``. Every optimizer gets its own schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from medssl.config import OPTIMIZERS, TrainConfig
from medssl.engine.lars import LARS
from medssl.errors import MedsslError

_SPEC_KEYS = {"params", "lr", "lr_scale", "optimizer", "weight_decay"}


def build_optimizer(
    params: Iterable[Any],
    *,
    name: str,
    lr: float,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """Build an optimizer by name.

    Args:
        params: Parameters or parameter groups.
        name: ``adam``, ``adamw``, ``sgd`` or ``lars``.
        lr: Learning rate (> 0).
        weight_decay: L2 (Adam, SGD, LARS) or decoupled (AdamW) decay.
        momentum: Momentum of SGD and LARS.
        nesterov: Nesterov momentum (SGD only).

    Returns:
        The optimizer.

    Raises:
        MedsslError: On an unknown name (valid names are listed) or a bad learning rate.
    """
    if not lr > 0:
        raise MedsslError(f"learning rate must be positive; got {lr}")
    params = list(params)
    if not params:
        raise MedsslError(f"optimizer '{name}' was given no parameters")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=momentum,
            nesterov=nesterov and momentum > 0,
            weight_decay=weight_decay,
        )
    if name == "lars":
        return LARS(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise MedsslError(f"unknown optimizer '{name}'; valid: {', '.join(OPTIMIZERS)}")


def build_optimizers(
    model: torch.nn.Module, method: Any, cfg: TrainConfig
) -> dict[str, torch.optim.Optimizer]:
    """The run's optimizers by name, from the method's ``optimizers`` hook.

    Raises:
        MedsslError: If the hook returns something that is neither an optimizer nor a spec.
    """
    entries = method.optimizers(model, cfg)
    items = entries.items() if isinstance(entries, Mapping) else entries
    out: dict[str, torch.optim.Optimizer] = {}
    for name, entry in items:
        if name in out:
            raise MedsslError(f"method optimizers: name '{name}' is used twice")
        if isinstance(entry, torch.optim.Optimizer):
            out[name] = entry
        elif isinstance(entry, Mapping):
            out[name] = _from_spec(entry, cfg, name)
        else:
            out[name] = _from_spec({"params": entry}, cfg, name)
    if not out:
        raise MedsslError("method optimizers() returned no optimizer")
    return out


def _from_spec(spec: Mapping[str, Any], cfg: TrainConfig, name: str) -> torch.optim.Optimizer:
    unknown = set(spec) - _SPEC_KEYS
    if unknown or "params" not in spec:
        raise MedsslError(
            f"optimizer group '{name}': keys must be among {sorted(_SPEC_KEYS)} and include "
            f"'params'; got {sorted(spec)}"
        )
    lr = float(spec.get("lr", cfg.lr * float(spec.get("lr_scale", 1.0))))
    return build_optimizer(
        spec["params"],
        name=str(spec.get("optimizer", cfg.optimizer)),
        lr=lr,
        weight_decay=float(spec.get("weight_decay", cfg.weight_decay)),
        momentum=cfg.momentum,
        nesterov=cfg.nesterov,
    )


def current_lrs(optimizers: Mapping[str, torch.optim.Optimizer]) -> dict[str, float]:
    """Learning rate of each optimizer's first group, keyed ``lr_<name>``."""
    return {f"lr_{n}": float(o.param_groups[0]["lr"]) for n, o in optimizers.items()}

"""``pretrain(cfg, records)``: build the configured method and run the Trainer on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medssl.config import TrainConfig
from medssl.engine.trainer import Trainer, TrainResult


def pretrain(
    cfg: TrainConfig, records: Sequence[Any], *, argv: Sequence[str] | None = None
) -> TrainResult:
    """Pre-train ``cfg.method`` on ``records``.

    Args:
        cfg: The resolved run config.
        records: Training records (see :mod:`medssl.data`).
        argv: Command line recorded in the model card.

    Returns:
        The :class:`~medssl.engine.trainer.TrainResult`.

    Raises:
        MedsslError: On an unknown method, bad method options, input sizes the
            network cannot take, a bad config or a resume problem.
    """
    from medssl.methods import create_method
    from medssl.methods.base import check_input_sizes

    method = create_method(cfg.check().method, **cfg.method_options)
    check_input_sizes(method, cfg.model, cfg.model_kwargs)
    return Trainer(method, cfg, records, argv=argv).fit()

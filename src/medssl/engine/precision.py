"""Mixed precision and memory layout: bf16 autocast, channels_last_3d on CPU.

bf16 keeps fp32's exponent range, so no loss scaling is needed. On CPUs with AMX-BF16
(and on recent GPUs) bf16 convolutions plus the channels_last_3d layout make a 3-D UNet
step about 2-3 times faster than fp32 in the default layout; with AVX512-BF16 alone
the gain is smaller (see ``benchmarks/bench_train_step.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch


def autocast_factory(device: torch.device, precision: str) -> Callable[[], AbstractContextManager]:
    """A zero-argument callable returning the autocast context of this run.

    Args:
        device: Training device.
        precision: ``bf16`` or ``fp32``.

    Returns:
        ``torch.autocast(device.type, dtype=torch.bfloat16)`` for ``bf16``,
        a null context for ``fp32``.
    """
    if precision == "bf16":
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext


def use_channels_last(device: torch.device, requested: bool | None, model: torch.nn.Module) -> bool:
    """Whether to convert the model and 5-D inputs to channels_last_3d.

    Args:
        device: Training device; the layout is only used on CPU.
        requested: True/False forces it on/off (on CPU); None decides: on, unless the
            model has 2-D convolutions (the layout is 3-D only) or instance-norm
            layers, whose CPU kernels work in the default layout and copy every
            activation back and forth (a BasicUNet step was measured about 30% slower
            in channels_last_3d, a BatchNorm UNet faster).
        model: The network.

    Returns:
        True to convert.
    """
    if device.type != "cpu" or requested is False:
        return False
    if requested:
        return True
    if any(p.dim() == 4 for p in model.parameters()):  # 2-D convolutions
        return False
    instance_norms = (torch.nn.InstanceNorm1d, torch.nn.InstanceNorm2d, torch.nn.InstanceNorm3d)
    return not any(isinstance(m, instance_norms) for m in model.modules())


def to_channels_last(model: torch.nn.Module) -> torch.nn.Module:
    """Convert the 5-D parameters of ``model`` to channels_last_3d in place."""
    return model.to(memory_format=torch.channels_last_3d)

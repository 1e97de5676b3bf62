"""Mixed precision and memory layout: bf16 autocast, channels_last_3d on CPU.

bf16 keeps fp32's exponent range, so no loss scaling is needed. On CPUs with AMX-BF16
(and on recent GPUs) bf16 convolutions plus the channels_last_3d layout make a 3-D UNet
step about 2-3 times faster than fp32 in the default layout; with AVX512-BF16 alone
the gain is smaller (see ``benchmarks/bench_train_step.py``). A CPU with neither (AVX2
only) has no bf16 convolution kernel: torch falls back to reference loops that run a
3-D UNet hundreds of times slower than fp32, so ``auto``, the default precision, takes
bf16 only where the hardware has it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch

from medssl.config import PRECISIONS

_warned: set[str] = set()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively: a CUDA GPU with bf16, or a CPU with
    AVX512-BF16 or AMX tiles."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type != "cpu":
        return False
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def resolve_precision(device: torch.device, precision: str) -> str:
    """The precision to compute in: ``auto`` becomes ``bf16`` where :func:`native_bf16`
    holds and ``fp32`` elsewhere; ``bf16`` and ``fp32`` stay as asked.

    Asking for ``bf16`` on a CPU without it prints one warning per process, naming what
    it will cost.

    Raises:
        ValueError: A precision outside :data:`PRECISIONS` (callers check first).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    slow = precision == "bf16" and device.type == "cpu" and not native_bf16(device)
    if slow and "bf16" not in _warned:
        _warned.add("bf16")
        print(
            "medssl: warning: precision bf16 on a CPU without AVX512-BF16 or AMX runs "
            "3-D convolutions far slower than fp32; use --precision auto or fp32",
            file=sys.stderr,
        )
    return precision


def autocast_factory(device: torch.device, precision: str) -> Callable[[], AbstractContextManager]:
    """A zero-argument callable returning the autocast context of this run.

    Args:
        device: Training device.
        precision: ``auto``, ``bf16`` or ``fp32`` (see :func:`resolve_precision`).

    Returns:
        ``torch.autocast(device.type, dtype=torch.bfloat16)`` where bf16 is used,
        a null context for ``fp32``.
    """
    if resolve_precision(device, precision) == "bf16":
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

"""A guard around a CPU bf16 convolution fault.

On CPU, under bf16 autocast (torch 2.13), the weight gradient of a 3D convolution
whose input is two voxels long on an axis where the kernel is wider than one and
undilated can come back as garbage (values up to 1e38, or inf), at random from one call
to the next. It was seen on every call with a two-voxel first axis and 16 or more
channels, and now and then with a two-voxel second axis; the guard covers every axis.
The forward pass is correct, so the fault shows up only as a loss that turns NaN a few
steps into training on small feature maps (a ResNet's last stage, a tiny test grid).

:class:`GuardedConv3d` runs exactly those calls in float32 and every other call as
before; :func:`guard_conv3d` gives that behaviour to every ``nn.Conv3d`` of a network
in place, keeping its parameters, state-dict keys and speed elsewhere.
"""

from __future__ import annotations

import torch
from torch import nn


def needs_float32(conv: nn.Conv3d, x: torch.Tensor) -> bool:
    """Whether this call would meet the CPU bf16 weight-gradient fault.

    Shape:
        ``x``: (N, C, X, Y, Z).
    """
    if x.device.type != "cpu" or not torch.is_grad_enabled() or not conv.weight.requires_grad:
        return False
    if not torch.is_autocast_enabled("cpu") or torch.get_autocast_dtype("cpu") != torch.bfloat16:
        return False
    return any(
        size == 2 and kernel > 1 and dilation == 1
        for size, kernel, dilation in zip(x.shape[2:], conv.kernel_size, conv.dilation)
    )


class GuardedConv3d(nn.Conv3d):
    """``nn.Conv3d`` that computes in float32 where CPU bf16 would corrupt its gradient."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if needs_float32(self, x):
            with torch.autocast("cpu", enabled=False):
                return super().forward(x.float())
        return super().forward(x)


def guard_conv3d(model: nn.Module) -> nn.Module:
    """Make every plain ``nn.Conv3d`` of ``model`` a :class:`GuardedConv3d`, in place."""
    for module in model.modules():
        if type(module) is nn.Conv3d:
            module.__class__ = GuardedConv3d
    return model

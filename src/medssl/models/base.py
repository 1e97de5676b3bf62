"""The encoder seam shared by every network, and small helpers on modules.

An *encoder* maps a volume to a list of feature maps, one per level, from the finest
to the coarsest. Decoders, segmentation networks and self-supervised heads (a scale
head on the bottleneck, an adversary wired to several levels, projectors) attach to
that list, so any registered encoder works with any of them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from medssl.errors import MedsslError


@runtime_checkable
class Encoder(Protocol):
    """What every encoder offers.

    Attributes:
        in_channels: Channels of the input volume.
        out_channels: Channels of each returned feature map, finest first.
        strides: Downsampling factor of each feature map relative to the input.
        size_divisor: Every spatial size of the input must be a multiple of this.

    Shape:
        Input ``(N, in_channels, X, Y, Z)``; output: a list whose item ``i`` has shape
        ``(N, out_channels[i], X / strides[i], Y / strides[i], Z / strides[i])``.
    """

    in_channels: int
    out_channels: list[int]
    strides: list[int]
    size_divisor: int

    def __call__(self, x: torch.Tensor) -> list[torch.Tensor]: ...


def is_encoder(module: object) -> bool:
    """Whether ``module`` is an ``nn.Module`` following the :class:`Encoder` interface."""
    return (
        isinstance(module, nn.Module)
        and isinstance(getattr(module, "out_channels", None), list)
        and isinstance(getattr(module, "strides", None), list)
        and isinstance(getattr(module, "size_divisor", None), int)
    )


def check_input(
    x: torch.Tensor, *, in_channels: int, size_divisor: int, name: str, spatial_dims: int = 3
) -> None:
    """Check a network input: the right rank and channels, sizes divisible by ``size_divisor``.

    Args:
        x: The input batch.
        in_channels: Channels the network expects.
        size_divisor: Every spatial size must be a multiple of this.
        name: The network's name, used in the message.
        spatial_dims: 3 for volumes ``(N, C, X, Y, Z)``, 2 for slices ``(N, C, X, Y)``.

    Raises:
        MedsslError: If the shape does not fit.

    Shape:
        ``x``: ``(N, in_channels, X, Y, Z)`` (or ``(N, in_channels, X, Y)`` in 2D).
    """
    axes = "(N, C, X, Y, Z)" if spatial_dims == 3 else "(N, C, X, Y)"
    if x.dim() != spatial_dims + 2:
        raise MedsslError(
            f"{name} input must be {spatial_dims + 2}-D {axes}; got shape {tuple(x.shape)}"
        )
    if x.shape[1] != in_channels:
        raise MedsslError(
            f"{name} input must have {in_channels} channel(s); got shape {tuple(x.shape)}"
        )
    if any(s % size_divisor for s in x.shape[2:]):
        raise MedsslError(
            f"{name} input spatial sizes must be multiples of {size_divisor}; "
            f"got {tuple(x.shape[2:])}"
        )


def unwrap_model(module: nn.Module) -> nn.Module:
    """Strip DistributedDataParallel/DataParallel and ``torch.compile`` wrappers."""
    while True:
        if isinstance(module, nn.parallel.DistributedDataParallel | nn.DataParallel):
            module = module.module
        elif hasattr(module, "_orig_mod") and isinstance(module._orig_mod, nn.Module):
            module = module._orig_mod
        else:
            return module


def encoder_of(module: nn.Module) -> nn.Module:
    """The encoder of a network: ``module.encoder`` if it has one, else ``module`` itself.

    Raises:
        MedsslError: If neither is an encoder.
    """
    module = unwrap_model(module)
    candidate = getattr(module, "encoder", module)
    if not is_encoder(candidate):
        raise MedsslError(
            f"{type(module).__name__} is not an encoder and has no 'encoder' attribute"
        )
    return candidate


def encoder_part(module: nn.Module) -> nn.Module:
    """What an ``encoder.pt`` of ``module`` holds: the module its ``encoder`` names, else
    :func:`encoder_of`.

    A network whose pretrained part is not a feature-pyramid :class:`Encoder` (the
    descriptor networks of the context methods) names it with an ``encoder`` property.

    Raises:
        MedsslError: If there is neither.
    """
    module = unwrap_model(module)
    candidate = getattr(module, "encoder", None)
    if isinstance(candidate, nn.Module):
        return candidate
    return encoder_of(module)


def count_parameters(module: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (optionally only those with ``requires_grad``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

"""Input sizes a network accepts: each network's own ``size_divisor``.

Every encoder (and every network built on one) has a ``size_divisor``: each spatial
size of its input must be a multiple of it (``2^(num_levels - 1)`` for the UNet, the
output stride for the ResNet). Patches, crops and windows are checked against it
where they are given (config and command-line validation), before any data is read,
rather than at the first training step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from medssl.errors import MedsslError
from medssl.models.registry import create_model


def size_divisor(arch: str, **config: Any) -> int:
    """The ``size_divisor`` of a registered network, built on the meta device (no memory).

    Args:
        arch: Registered model name.
        **config: Its options.

    Returns:
        The divisor; 1 for a network without one.

    Raises:
        MedsslError: As :func:`~medssl.models.create_model`.
    """
    with torch.device("meta"):
        model = create_model(arch, **config)
    divisor = getattr(model, "size_divisor", 1)
    return int(divisor) if isinstance(divisor, int) and divisor >= 1 else 1


def check_divisible(sizes: Iterable[int], divisor: int, *, what: str, arch: str) -> None:
    """Raise unless every size is a multiple of ``divisor``.

    Args:
        sizes: Spatial sizes (a patch, a crop, a window).
        divisor: The network's ``size_divisor``.
        what: What the sizes are, for the message (``"finetune.patch"``).
        arch: The network's name, for the message.

    Raises:
        MedsslError: ``"<what> (20, 20, 20) must be multiples of 8, the size divisor of
            model 'unet3d'"``.
    """
    sizes = tuple(int(s) for s in sizes)
    if any(s % divisor for s in sizes):
        raise MedsslError(
            f"{what} {sizes} must be multiples of {divisor}, the size divisor of model '{arch}' "
            f"(e.g. {tuple(max(divisor, -(-s // divisor) * divisor) for s in sizes)})"
        )


def check_patch(
    sizes: Iterable[int], arch: str, config: Mapping[str, Any] | None = None, *, what: str = "patch"
) -> None:
    """Check sizes against the ``size_divisor`` of ``create_model(arch, **config)``.

    Raises:
        MedsslError: As :func:`check_divisible`, or an unknown model or option.
    """
    check_divisible(sizes, size_divisor(arch, **dict(config or {})), what=what, arch=arch)

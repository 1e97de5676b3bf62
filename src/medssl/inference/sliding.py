"""Sliding-window inference (MONAI) with optional test-time mirroring and bf16 on CPU."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import torch

from medssl.config import PRECISIONS
from medssl.engine.precision import autocast_factory
from medssl.errors import MedsslError


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise MedsslError(f"precision must be one of {', '.join(PRECISIONS)}; got '{precision}'")


def autocast_context(device: torch.device, precision: str):
    """bf16 autocast on CPU/CUDA, or a no-op for fp32; ``auto`` takes bf16 only where
    the device computes it natively (:func:`medssl.engine.precision.autocast_factory`)."""
    _check_precision(precision)
    return autocast_factory(device, precision)()


def check_options(*, overlap: float, precision: str, mirror_axes: Sequence[int] = ()) -> None:
    """Check sliding-window options where they are given, before any scan is read.

    Raises:
        MedsslError: An overlap outside [0, 1), an unknown precision or mirror axis.
    """
    if not 0.0 <= float(overlap) < 1.0:
        raise MedsslError(f"overlap must be in [0, 1); got {overlap}")
    _check_precision(precision)
    if any(a not in (0, 1, 2) for a in mirror_axes):
        raise MedsslError(f"mirror axes must be 0, 1 or 2; got {tuple(mirror_axes)}")


def mirror_axes_sets(axes: Sequence[int]) -> list[tuple[int, ...]]:
    """All subsets of the spatial axes to flip (including none), as tensor dims."""
    dims = [2 + a for a in axes]
    return [c for r in range(len(dims) + 1) for c in itertools.combinations(dims, r)]


@torch.no_grad()
def sliding_window_predict(
    model: Callable[[torch.Tensor], torch.Tensor],
    volume: torch.Tensor,
    *,
    roi_size: Sequence[int],
    overlap: float = 0.5,
    sw_batch_size: int = 2,
    mirror_axes: Sequence[int] = (),
    precision: str = "auto",
    mode: str = "gaussian",
    progress: bool = False,
) -> torch.Tensor:
    """Predict a whole volume of any size with overlapping windows.

    Args:
        model: Network mapping (N, C, *roi_size) to (N, K, *roi_size) logits/outputs.
        volume: Input tensor.
        roi_size: Window size; smaller volumes are padded by MONAI and cropped back.
        overlap: Fraction of overlap between windows, in [0, 1).
        sw_batch_size: Windows per forward pass.
        mirror_axes: Spatial axes (0, 1, 2) for test-time mirroring; outputs of every
            flip combination are averaged.
        precision: ``"auto"`` (bf16 where native), ``"bf16"`` (autocast) or ``"fp32"``.
        mode: Blending of windows, ``"gaussian"`` or ``"constant"``.
        progress: Show MONAI's window progress bar.

    Returns:
        The float32 output.

    Shape:
        volume: (1, C, X, Y, Z) → output: (1, K, X, Y, Z).

    Raises:
        MedsslError: Bad overlap, window size or precision.
    """
    from monai.inferers import sliding_window_inference

    if not 0.0 <= overlap < 1.0:
        raise MedsslError(f"overlap must be in [0, 1); got {overlap}")
    if len(roi_size) != 3 or any(int(s) < 1 for s in roi_size):
        raise MedsslError(f"window (patch) size must be 3 positive integers; got {roi_size}")
    if any(a not in (0, 1, 2) for a in mirror_axes):
        raise MedsslError(f"mirror axes must be 0, 1 or 2; got {tuple(mirror_axes)}")
    if volume.ndim != 5:
        raise MedsslError(f"volume must be (N, C, X, Y, Z); got shape {tuple(volume.shape)}")

    def predictor(x: torch.Tensor) -> torch.Tensor:
        if x.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last_3d)
        with autocast_context(x.device, precision):
            out = model(x)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.float()

    flips = mirror_axes_sets(mirror_axes) if mirror_axes else [()]
    total = None
    for dims in flips:
        x = torch.flip(volume, dims) if dims else volume
        out = sliding_window_inference(
            x,
            roi_size=tuple(int(s) for s in roi_size),
            sw_batch_size=sw_batch_size,
            predictor=predictor,
            overlap=overlap,
            mode=mode,
            progress=progress,
        )
        out = torch.flip(out, dims) if dims else out
        total = out if total is None else total + out
    return total / len(flips)

"""Checks on user input shared by the transforms: volumes, probabilities, shapes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medssl.errors import MedsslError


def as_volume(volume: np.ndarray, *, name: str = "volume") -> np.ndarray:
    """Return ``volume`` as a 3D float32 array, copying only when the type differs.

    Args:
        volume: Array of real numbers with three axes.
        name: What to call the array in an error message.

    Returns:
        The array, float32.

    Raises:
        MedsslError: If the array is not 3D or not real-valued.

    Shape:
        (X, Y, Z).
    """
    array = np.asarray(volume)
    if array.ndim != 3:
        raise MedsslError(f"{name} must be 3D (X, Y, Z); got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise MedsslError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if min(array.shape) < 1:
        raise MedsslError(f"{name} must not be empty; got shape {array.shape}")
    return array.astype(np.float32, copy=False)


def check_probability(p: float, *, name: str) -> float:
    """Return ``p`` as a float after checking it lies in [0, 1].

    Raises:
        MedsslError: If ``p`` is outside [0, 1] or not a number.
    """
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise MedsslError(f"{name} must be a probability in [0, 1]; got {p!r}") from None
    if not 0.0 <= value <= 1.0:
        raise MedsslError(f"{name} must be a probability in [0, 1]; got {p!r}")
    return value


def check_shape(shape: Sequence[int], *, name: str) -> tuple[int, int, int]:
    """Return ``shape`` as a tuple of three positive ints.

    Raises:
        MedsslError: If it does not have three positive integer entries.
    """
    try:
        values = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise MedsslError(f"{name} must be three positive integers; got {shape!r}") from None
    if len(values) != 3 or min(values) < 1 or any(v != s for v, s in zip(values, shape)):
        raise MedsslError(f"{name} must be three positive integers; got {shape!r}")
    return values  # type: ignore[return-value]


def check_positive_int(value: int, *, name: str, minimum: int = 1) -> int:
    """Return ``value`` after checking it is an integer of at least ``minimum``.

    Raises:
        MedsslError: If it is not an integer or is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise MedsslError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)

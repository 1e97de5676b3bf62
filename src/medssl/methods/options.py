"""Checks of a method's options shared by the method constructors."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from medssl.errors import MedsslError


def check_options(method: str, cls: type, unknown: Mapping[str, Any]) -> None:
    """Reject options a method's constructor does not know, listing the valid ones.

    Raises:
        MedsslError: If ``unknown`` is not empty.
    """
    if unknown:
        valid = [p for p in inspect.signature(cls).parameters if p != "unknown"]
        raise MedsslError(
            f"unknown option '{min(unknown)}' for method '{method}'; valid: {', '.join(valid)}"
        )


def check_counts(*, length: int | None, val_items: int = 0) -> tuple[int | None, int]:
    """``length`` (None or >= 1) and ``val_items`` (>= 0), checked.

    Raises:
        MedsslError: If either is not an integer in range.
    """
    from medssl.transforms._checks import check_positive_int

    if length is not None:
        length = check_positive_int(length, name="length")
    return length, check_positive_int(val_items, name="val_items", minimum=0)


def as_shape(value: Sequence[int], *, name: str) -> tuple[int, int, int]:
    """Three positive integers (a YAML list becomes a tuple).

    Raises:
        MedsslError: Otherwise.
    """
    from medssl.transforms._checks import check_shape

    return check_shape(value, name=name)

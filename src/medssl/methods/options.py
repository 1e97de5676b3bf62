"""Checks of a method's options: names and types, centrally, as ``create_model`` does.

A registered method's options are the keyword arguments of its constructor.
:func:`check_method_options` compares a config's ``method_options`` with the
constructor's signature and type hints: an unknown name or a value of the wrong type
is one line that lists the valid options. Values from YAML or ``--set`` are coerced
where that is unambiguous (``"1e-3"`` for a float, ``"true"`` for a bool, ``2.0`` for
an int). The range checks of each option stay in the method (``check_counts``,
``as_shape``).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from medssl.errors import MedsslError


class _Mismatch(Exception):
    """A value does not fit a type hint."""


def check_method_options(method: str, cls: type, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options, checked and coerced against the constructor of ``cls``.

    Args:
        method: The registered name, for the message.
        cls: The method class.
        options: The given options.

    Returns:
        The options, with values coerced to their hinted types.

    Raises:
        MedsslError: On an unknown option or a value of the wrong type; the message
            lists the valid options.
    """
    params = {
        name: p
        for name, p in inspect.signature(cls).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    valid = ", ".join(params) or "(none)"
    unknown = sorted(set(options) - set(params))
    if unknown:
        raise MedsslError(f"unknown option '{unknown[0]}' for method '{method}'; valid: {valid}")
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # noqa: BLE001 - unresolvable hints: names are still checked
        hints = {}
    out = {}
    for key, value in options.items():
        hint = hints.get(key, Any)
        try:
            out[key] = coerce(value, hint)
        except _Mismatch:
            raise MedsslError(
                f"option '{key}' of method '{method}' must be {describe(hint)}; got {value!r} "
                f"(valid options: {valid})"
            ) from None
    return out


def check_fields(
    cls: type, options: Mapping[str, Any] | None, *, method: str, group: str
) -> dict[str, Any]:
    """A nested option group (``loss``, ``synthesis``...) checked against dataclass ``cls``.

    Args:
        cls: The dataclass the group's entries are fields of.
        options: The given entries (None for none).
        method: The method's name, for the message.
        group: The option's name, for the message.

    Returns:
        The entries, coerced to the fields' types.

    Raises:
        MedsslError: Not a mapping, an unknown entry or a value of the wrong type; the
            message lists the valid entries.
    """
    import dataclasses

    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise MedsslError(
            f"option '{group}' of method '{method}' must be a mapping; got {options!r}"
        )
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    valid = ", ".join(names)
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise MedsslError(
            f"unknown {group} option '{unknown[0]}' for method '{method}'; valid: {valid}"
        )
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - unresolvable hints: names are still checked
        hints = {}
    out = {}
    for key, value in options.items():
        hint = hints.get(key, Any)
        try:
            out[key] = coerce(value, hint)
        except _Mismatch:
            raise MedsslError(
                f"{group} option '{key}' of method '{method}' must be {describe(hint)}; "
                f"got {value!r} (valid: {valid})"
            ) from None
    return out


def coerce(value: Any, hint: Any) -> Any:
    """``value`` as type ``hint`` (a union, list, sequence, mapping or plain type).

    Raises:
        _Mismatch: If it does not fit.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is inspect.Parameter.empty:
        return value
    if hint is None or hint is type(None):
        if value is None:
            return None
        raise _Mismatch
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return coerce(value, arg)
            except _Mismatch:
                continue
        raise _Mismatch
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _Mismatch
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if hint is float:
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if hint is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    container = origin or hint
    if container in (dict, Mapping) or container is typing.Mapping:
        if isinstance(value, Mapping):
            return dict(value)
        raise _Mismatch
    if container in (list, tuple, Sequence) or container is typing.Sequence:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise _Mismatch
        item = args[0] if args else Any
        items = [coerce(v, item) for v in value]
        return tuple(items) if container is tuple else items
    if isinstance(hint, type):
        if isinstance(value, hint):
            return value
        raise _Mismatch
    return value


def describe(hint: Any) -> str:
    """A type hint in words: ``an integer or None``, ``a list of numbers``..."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "text"}
    if hint in names:
        return names[hint]
    if hint is None or hint is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    container = origin or hint
    if container in (dict, Mapping):
        return "a mapping"
    if container in (list, tuple, Sequence):
        if not args:
            return "a list"
        return f"a list of {describe(args[0]).removeprefix('an ').removeprefix('a ')}s"
    return getattr(hint, "__name__", str(hint))


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

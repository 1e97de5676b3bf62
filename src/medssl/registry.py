"""Explicit registries, filled by a decorator (one per kind: models, methods, presets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from medssl.errors import MedsslError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → object table with a decorator to fill it.

    Example:
        >>> MODELS = Registry("model")
        >>> @MODELS.register("unet3d")
        ... def unet3d(**kw): ...
        >>> MODELS.get("unet3d")  # doctest: +SKIP

    An unknown name raises :class:`MedsslError` listing the valid names.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none)"
            raise MedsslError(f"unknown {self.kind} '{name}'; valid names: {valid}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

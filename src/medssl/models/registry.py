"""The model registry and ``create_model``.

Each network family registers its factories with ``@MODELS.register("name")`` and
has a tiny variant for tests (``unet3d_tiny``, ``resnet3d_tiny``). The modules that
register the built-in models are listed below: no folder scanning, no star imports.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from torch import nn

from medssl.errors import MedsslError
from medssl.registry import Registry

MODELS: Registry = Registry("model")

# Each module registers its models with @MODELS.register("name"). Add new ones here.
_BUILTIN_MODEL_MODULES: list[str] = [
    "medssl.models.unet3d",
    "medssl.models.resnet3d",
    "medssl.models.segnet",
    "medssl.models.context2d",
    "medssl.models.doersch3d",
]


def _ensure_builtin_models() -> None:
    for module in _BUILTIN_MODEL_MODULES:
        importlib.import_module(module)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered network by name.

    Args:
        name: A registered name, e.g. ``"unet3d"``, ``"resnet3d50"``, ``"segnet"``.
        **kwargs: Options of that factory (``in_channels``, ``out_channels``, ...).

    Returns:
        The network, randomly initialised (seed with ``torch.manual_seed``).

    Raises:
        MedsslError: If the name is unknown (the message lists the valid names) or an
            option is not accepted by the factory.
    """
    _ensure_builtin_models()
    factory = MODELS.get(name)
    try:
        inspect.signature(factory).bind(**kwargs)
    except TypeError as exc:
        accepted = ", ".join(inspect.signature(factory).parameters) or "(none)"
        raise MedsslError(
            f"bad options for model '{name}': {exc}; accepted options: {accepted}"
        ) from None
    return factory(**kwargs)


def model_names() -> list[str]:
    """All registered model names, sorted."""
    _ensure_builtin_models()
    return MODELS.names()

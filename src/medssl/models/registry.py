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
from medssl.models.cpu_bf16 import guard_conv3d
from medssl.registry import Registry

MODELS: Registry = Registry("model")

# Each module registers its models with @MODELS.register("name"). Add new ones here.
_BUILTIN_MODEL_MODULES: list[str] = [
    "medssl.models.unet3d",
    "medssl.models.resnet3d",
    "medssl.models.segnet",
    "medssl.models.tile_classifier",
    "medssl.models.sar_net",
    "medssl.models.byol_net",
    "medssl.models.aspp",
    "medssl.models.context2d",
    "medssl.models.doersch3d",
]

#: Attribute of every network built by :func:`create_model`: ``{"arch", "config"}``.
ARCH_ATTR = "medssl_arch"
#: Attribute of that network's encoder: the spec of the network it belongs to.
ENCODER_OF_ATTR = "medssl_encoder_of"


def _ensure_builtin_models() -> None:
    for module in _BUILTIN_MODEL_MODULES:
        importlib.import_module(module)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered network by name.

    Args:
        name: A registered name, e.g. ``"unet3d"``, ``"resnet3d50"``, ``"segnet"``.
        **kwargs: Options of that factory (``in_channels``, ``out_channels``, ...).

    Returns:
        The network, randomly initialised (seed with ``torch.manual_seed``). It
        records how it was built, ``{"arch": name, "config": kwargs}``, in its
        ``medssl_arch`` attribute (and its encoder in ``medssl_encoder_of``), so that
        a weights file written from it describes the true architecture.

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
    model = guard_conv3d(factory(**kwargs))
    spec = model_spec(name, **kwargs)
    setattr(model, ARCH_ATTR, spec)
    encoder = getattr(model, "encoder", None)
    if isinstance(encoder, nn.Module) and not hasattr(encoder, ENCODER_OF_ATTR):
        setattr(encoder, ENCODER_OF_ATTR, spec)  # the innermost network it came from
    return model


def model_spec(name: str, **kwargs: Any) -> dict[str, Any]:
    """The plain-data description ``{"arch": name, "config": kwargs}`` of a network.

    Example:
        >>> model_spec("unet3d_tiny", in_channels=1)
        {'arch': 'unet3d_tiny', 'config': {'in_channels': 1}}
    """
    return {"arch": str(name), "config": dict(kwargs)}


def create_from_spec(spec: Any, *, what: str = "model spec") -> nn.Module:
    """``create_model(spec["arch"], **spec["config"])``, checking the spec's shape.

    Raises:
        MedsslError: If ``spec`` is not a mapping with ``arch`` (text) and ``config``
            (a mapping), or as :func:`create_model`.
    """
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("arch"), str)
        or not isinstance(spec.get("config", {}), dict)
    ):
        raise MedsslError(f"{what} must be a mapping with 'arch' and 'config'; got {spec!r}")
    return create_model(spec["arch"], **spec.get("config", {}))


def model_names() -> list[str]:
    """All registered model names, sorted."""
    _ensure_builtin_models()
    return MODELS.names()

"""Lazy imports of optional dependencies, with an error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from medssl.errors import MedsslError

_EXTRAS = {
    "faiss": "faiss",
    "matplotlib": "plot",
    "torch.utils.tensorboard": "tensorboard",
    "tensorboard": "tensorboard",
    "itk": "register",
}


def optional_import(module: str) -> ModuleType:
    """Import an optional dependency or raise a clear error.

    Args:
        module: Dotted module name, e.g. ``"faiss"``.

    Returns:
        The imported module.

    Raises:
        MedsslError: If it is not installed; the message names the pip extra.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRAS.get(module, module.split(".")[0])
        raise MedsslError(
            f"optional dependency '{module}' is not installed; "
            f"install it with: pip install 'medssl[{extra}]'"
        ) from exc

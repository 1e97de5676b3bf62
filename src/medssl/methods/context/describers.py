"""Describers by name or weights file: ``--model`` of ``medssl transfer``.

- a baseline name: ``xavier`` (untrained, Xavier-initialised D2D-CNNs from a fixed
  seed) or ``gvdiff`` (grey-value differences);
- a shipped model name: ``context2d_heatmap`` (``medssl/weights/context2d_heatmap.pt``);
- a weights file written by ``medssl pretrain`` of ``context2d_heatmap``,
  ``context2d_reg`` or ``doersch3d`` (``RUN/model.pt``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.methods.context.descriptors import CubeDescriber, GreyValueDescriber, PlaneDescriber
from medssl.registry import Registry


class Describer(Protocol):
    """Volume on the context grid → block descriptors (see :mod:`.descriptors`)."""

    dim: int

    def __call__(self, volume: np.ndarray) -> np.ndarray: ...


BASELINES: Registry[Callable[[], Describer]] = Registry("descriptor baseline")
_WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights"
#: Shipped trained models: name → file in ``medssl/weights``.
SHIPPED: dict[str, str] = {"context2d_heatmap": "context2d_heatmap.pt"}


@BASELINES.register("xavier")
def xavier(seed: int = 0) -> Describer:
    """Untrained D2D-CNNs, Xavier-normal weights drawn from ``seed``."""
    from medssl.models.context2d import D2DCNN

    gen = torch.Generator().manual_seed(seed)
    nets = nn.ModuleList(D2DCNN() for _ in range(3))
    for m in nets.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_normal_(m.weight, generator=gen)
    return PlaneDescriber(nets)


@BASELINES.register("gvdiff")
def gvdiff(seed: int = 0) -> Describer:
    """192 grey-value differences at Gaussian offsets, σ = 0.4 units = 21 voxels."""
    return GreyValueDescriber(n=192, sigma=0.4 * 52.5, seed=seed)


def valid_models() -> list[str]:
    """Every name ``load_describer`` accepts (besides a file path)."""
    return sorted([*BASELINES.names(), *SHIPPED])


def describer_from_weights(path: str | Path) -> Describer:
    """Build the describer of a ``context2d`` or ``doersch3d`` weights file.

    Raises:
        MedsslError: Unreadable file, or another architecture.
    """
    from medssl.models import create_model, load_state_strict, load_weights

    weights = load_weights(path)
    if weights.arch not in ("context2d", "doersch3d"):
        raise MedsslError(
            f"{path}: a context model must have arch 'context2d' or 'doersch3d'; "
            f"got '{weights.arch}'"
        )
    model = create_model(weights.arch, **weights.config)
    load_state_strict(model, weights.state_dict, source=str(path))
    gap = float(weights.extra.get("gap", 3.0))
    if weights.arch == "context2d":
        return PlaneDescriber(model.nets, gap=gap)
    return CubeDescriber(model.net)


def load_describer(name_or_path: str | Path) -> Describer:
    """A describer from a baseline name, a shipped model name or a weights file.

    Raises:
        MedsslError: An unknown name (listing the valid ones) or a bad weights file.
        FileNotFoundError: A shipped model whose file is missing.
    """
    text = str(name_or_path)
    if text in BASELINES.names():
        return BASELINES.get(text)()
    if text in SHIPPED:
        path = _WEIGHTS_DIR / SHIPPED[text]
        if not path.is_file():
            raise FileNotFoundError(f"shipped model '{text}' is missing its weights file {path}")
        return describer_from_weights(path)
    if Path(text).is_file():
        return describer_from_weights(text)
    raise MedsslError(
        f"unknown model '{text}': not a file and not one of {', '.join(valid_models())}"
    )

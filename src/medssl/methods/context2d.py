"""2.5D context pretraining: ``context2d_heatmap`` and ``context2d_reg``.

Blendowski, Nickisch and Heinrich, "How to learn from unlabeled volume data:
Self-Supervised 3D Context Feature Learning", MICCAI 2019. For each plane orientation
a Siamese D2D-CNN sees an anchor patch (three nearly parallel planes) and a partner
patch a small gap away along the normal, and predicts the partner's in-plane offset
(Δ1, Δ2): directly with an L1 loss (REG2D) or as a 19 x 19 heatmap with an MSE loss
(HEATMAP). The offsets grow with a curriculum over the run
(:mod:`medssl.views.context_pairs`). The three trained D2D-CNNs give the 192-D voxel
descriptors used for k-NN label transfer (:mod:`medssl.methods.context.transfer`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from medssl.errors import MedsslError
from medssl.methods.base import METHODS, Method
from medssl.methods.context.prep import BODY_LEVEL, SPACING_MM, load_context_volumes
from medssl.views.context_pairs import ContextPairConfig, ContextPairDataset, heatmap_target


class _Context2D(Method):
    """Shared body of the two heads.

    Args:
        spacing: Isotropic voxel size of the training grid (mm).
        cache: Preprocessing cache folder (None: the default).
        pairs: :class:`~medssl.views.context_pairs.ContextPairConfig` fields.
    """

    name = ""
    head = ""

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {"spacing": 1.0}

    @classmethod
    def tiny_model(cls) -> tuple[str, dict[str, Any]]:
        return "context2d", {"head": cls.head}

    def __init__(
        self,
        *,
        spacing: float = SPACING_MM,
        cache: str | None = None,
        pairs: dict[str, Any] | None = None,
    ) -> None:
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in (pairs or {}).items()}
        try:
            self.pairs = ContextPairConfig(**options)
        except TypeError as exc:
            raise MedsslError(f"bad pairs option for method '{self.name}': {exc}") from None
        self.spacing, self.cache = float(spacing), cache

    def build_model(self, cfg: Any) -> nn.Module:
        from medssl.models import create_model

        if cfg.model != "context2d":
            raise MedsslError(
                f"method '{self.name}' trains model 'context2d'; got model '{cfg.model}' "
                "(set model: context2d)"
            )
        kwargs = dict(cfg.model_kwargs)
        if kwargs.setdefault("head", self.head) != self.head:
            raise MedsslError(
                f"method '{self.name}' needs model_kwargs.head={self.head!r}; got {kwargs['head']!r}"
            )
        return create_model("context2d", **kwargs)

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_context_volumes(records, spacing=self.spacing, cache=self.cache)
        return ContextPairDataset(
            volumes,
            seed=seed,
            total=cfg.steps * cfg.batch_size,
            config=self.pairs,
            body_threshold=BODY_LEVEL,
        )

    def encoder_of(self, model: nn.Module) -> nn.Module:
        return model.nets


@METHODS.register("context2d_heatmap")
class Context2DHeatmap(_Context2D):
    """HEATMAP: the in-plane offset as a 19 x 19 Gaussian heatmap, MSE loss."""

    name = "context2d_heatmap"
    head = "heatmap"

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        pred = model(batch["input"]).float()
        loss = F.mse_loss(pred, heatmap_target(batch["delta"].float()))
        return loss, {"mse": float(loss.detach())}


@METHODS.register("context2d_reg")
class Context2DReg(_Context2D):
    """REG2D: the in-plane offset (Δ1, Δ2) regressed directly, L1 loss."""

    name = "context2d_reg"
    head = "reg"

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        pred = model(batch["input"]).float()
        loss = F.l1_loss(pred, batch["delta"].float())
        return loss, {"l1": float(loss.detach())}

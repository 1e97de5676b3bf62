"""3D Doersch-style context prediction: ``doersch3d``.

After Doersch, Gupta and Efros (ICCV 2015), as the 3D baseline of Blendowski et al.
(MICCAI 2019): a shared D3D-CNN embeds a 25³ cube and one of its six face neighbours
(with jitter, :mod:`medssl.views.doersch_cubes`); a classifier predicts which
neighbour it is (cross-entropy). The D3D-CNN gives 192-D voxel descriptors.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from medssl.errors import MedsslError
from medssl.methods.base import METHODS, Method
from medssl.methods.context.prep import BODY_LEVEL, SPACING_MM, load_context_volumes
from medssl.views.doersch_cubes import DoerschCubeConfig, DoerschCubeDataset


@METHODS.register("doersch3d")
class Doersch3D(Method):
    """Six-neighbour cube classification.

    Args:
        spacing: Isotropic voxel size of the training grid (mm).
        cache: Preprocessing cache folder (None: the default).
        cubes: :class:`~medssl.views.doersch_cubes.DoerschCubeConfig` fields.
    """

    name = "doersch3d"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {"spacing": 1.0}

    @classmethod
    def tiny_model(cls) -> tuple[str, dict[str, Any]]:
        return "doersch3d", {}

    def __init__(
        self,
        *,
        spacing: float = SPACING_MM,
        cache: str | None = None,
        cubes: dict[str, Any] | None = None,
    ) -> None:
        try:
            self.cubes = DoerschCubeConfig(**(cubes or {}))
        except TypeError as exc:
            raise MedsslError(f"bad cubes option for method 'doersch3d': {exc}") from None
        self.spacing, self.cache = float(spacing), cache

    def build_model(self, cfg: Any) -> nn.Module:
        from medssl.models import create_model

        if cfg.model != "doersch3d":
            raise MedsslError(
                f"method 'doersch3d' trains model 'doersch3d'; got model '{cfg.model}' "
                "(set model: doersch3d)"
            )
        return create_model("doersch3d", **dict(cfg.model_kwargs))

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_context_volumes(records, spacing=self.spacing, cache=self.cache)
        return DoerschCubeDataset(volumes, seed=seed, config=self.cubes, body_threshold=BODY_LEVEL)

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits = model(batch["input"]).float()
        loss = F.cross_entropy(logits, batch["label"])
        accuracy = (logits.argmax(1) == batch["label"]).float().mean()
        return loss, {"ce": float(loss.detach()), "acc": float(accuracy)}

    def encoder_of(self, model: nn.Module) -> nn.Module:
        return model.net

"""BYOL on 3D volumes: two views, an online network and its moving-average target.

Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020, with the 3D views of Xie et
al., "PGL", 2020 (:mod:`medssl.views.pgl`: two crops of 110-140 % of the 96×96×16
input, flips, noise, blur, contrast, gamma). The online encoder's last feature map is
pooled and passed through a projector and a predictor; the target (an EMA copy of
encoder and projector, :mod:`medssl.methods.ema`) gives the projection of the other
view; the loss is the symmetrised normalised distance (:mod:`medssl.losses.byol`).
The paper trains with LARS at lr 0.2, batch 128, cosine schedule with warm-up
(``configs/byol.yaml``).

Logged: ``loss_global`` and ``global_std``, the standard deviation over the batch of
the ℓ2-normalised online projection, averaged over its dimensions (about
``1/sqrt(out)`` for spread-out features, 0 when they collapse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from medssl.data.volumes import VolumeOptions, make_views
from medssl.errors import MedsslError
from medssl.losses.byol import byol_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.ema import cosine_momentum, update_ema
from medssl.methods.options import check_counts, check_fields
from medssl.methods.two_view_volumes import load_two_view_volumes
from medssl.models import create_model, encoder_of, unwrap_model
from medssl.models.byol_net import BYOLNet
from medssl.models.tile_classifier import encoder_spec
from medssl.views import PglViewConfig, make_pgl_dataset


def feature_std(x: torch.Tensor) -> float:
    """Std over samples (and voxels) of the ℓ2-normalised features, mean over channels.

    Shape:
        ``x``: (N, C) or (N, C, X, Y, Z).
    """
    x = F.normalize(x.detach().float(), dim=1)
    if x.dim() > 2:
        x = x.movedim(1, -1).reshape(-1, x.shape[1])
    return float(x.std(dim=0).mean()) if x.shape[0] > 1 else 0.0


@METHODS.register("byol")
class Byol(Method):
    """BYOL pretraining of an encoder (Grill et al., NeurIPS 2020) on 3D views.

    Args:
        input_shape: Network input (X, Y, Z); the paper's 16×96×96 D×H×W is
            ``(96, 96, 16)``.
        views: Overrides of :class:`~medssl.views.PglViewConfig` fields.
        hidden: Hidden width of the projector and predictor (4096).
        out: Projection size (256).
        base_momentum: EMA momentum at the start (0.996), rising to 1 (cosine).
        length: Samples per epoch; None for an endless stream of new samples.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields; preset
            ``auto`` gives ``ct_pgl`` (HU [-1024, 325]) for CT and ``mri`` otherwise.

    Raises:
        MedsslError: On an unknown or bad option.
    """

    name = "byol"
    local = False

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {
            "input_shape": [16, 16, 16],
            "hidden": 16,
            "out": 8,
            "preprocess": {"preset": "none"},
        }

    def __init__(
        self,
        *,
        input_shape: Sequence[int] = (96, 96, 16),
        views: Mapping[str, Any] | None = None,
        hidden: int = 4096,
        out: int = 256,
        base_momentum: float = 0.996,
        length: int | None = None,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        view_options = check_fields(
            PglViewConfig,
            {**dict(views or {}), "input_shape": tuple(input_shape)},
            method=self.name,
            group="views",
        )
        for key, value in view_options.items():
            if isinstance(value, list):
                view_options[key] = tuple(value)
        self.view = PglViewConfig(**view_options)
        self.hidden, self.out = int(hidden), int(out)
        if min(self.hidden, self.out) < 1:
            raise MedsslError(f"hidden and out must be >= 1; got {hidden} and {out}")
        if not 0.0 <= float(base_momentum) <= 1.0:
            raise MedsslError(f"base_momentum must be in [0, 1]; got {base_momentum}")
        self.base_momentum = float(base_momentum)
        self.length, _ = check_counts(length=length)
        self.volume_options = VolumeOptions.from_mapping(preprocess)
        self.total_steps = 1

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"input_shape": tuple(self.view.input_shape)}

    def network_options(self) -> dict[str, Any]:
        """The ``byol_net`` options besides the encoder."""
        return {"hidden": self.hidden, "out": self.out}

    def build_model(self, cfg: Any) -> BYOLNet:
        self.total_steps = int(getattr(cfg, "steps", 1))
        return create_model("byol_net", encoder=encoder_spec(cfg), **self.network_options())

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_two_view_volumes(records, self.volume_options)
        return make_views(
            make_pgl_dataset, volumes, seed=seed, length=self.length, config=self.view
        )

    def optimizers(self, model: nn.Module, cfg: Any) -> list[tuple[str, dict[str, Any]]]:
        """One optimizer over the online network (the target is not trained)."""
        return [("main", {"params": [p for p in model.parameters() if p.requires_grad]})]

    def forward_views(
        self, model: nn.Module, batch: Mapping[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Online outputs and target projections of both views, each split in two halves."""
        views = torch.cat([batch["view1"], batch["view2"]])
        online = model(views)
        target = unwrap_model(model).target_forward(views)
        return online, target

    def loss(
        self, model: nn.Module, batch: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        online, target = self.forward_views(model, batch)
        p1, p2 = online["global_pred"].chunk(2)
        z1, z2 = target["global_proj"].chunk(2)
        loss = byol_loss(p1, z2, p2, z1)
        logs = {
            "loss_global": float(loss.detach()),
            "global_std": feature_std(online["global_proj"]),
        }
        return loss, logs

    def on_step_end(self, model: nn.Module, step: int) -> None:
        """Move the target towards the online network (EMA, cosine momentum)."""
        net = unwrap_model(model)
        momentum = cosine_momentum(step, self.total_steps, base=self.base_momentum)
        for name, online in net.online_parts().items():
            update_ema(online, net.target[name], momentum)

    def encoder_of(self, model: nn.Module) -> nn.Module:
        return encoder_of(model)

"""PGL: prior-guided local self-supervised learning (Xie et al., 2020).

Xie, Zhang, Xia and Shen, "PGL: Prior-Guided Local Self-supervised Learning for 3D
Medical Image Segmentation", arXiv:2011.12640. BYOL (:mod:`medssl.methods.byol`) plus
a local consistency loss: the last feature map of each view (output stride
(8, 16, 16) on the paper's 16×96×96 input, ``(16, 16, 8)`` in medssl's (X, Y, Z)
order) goes through per-voxel projector and predictor heads; the two views' maps are
brought back into register with FlipAlign and CSAlign (:mod:`medssl.losses.pgl_align`)
using each view's receipt, and corresponding voxels are pulled together
(:func:`medssl.losses.byol.local_consistency_loss`). The total loss is
``global_weight · global + local_weight · local``.

Ablations (the paper's Tables 5-8) as the ``ablation`` option:

- ``none``: the full method;
- ``no_f``: without FlipAlign (flips stay in the maps; CSAlign still pools the overlap);
- ``no_cs``: without CSAlign (flips undone, whole maps compared cell by cell);
- ``no_f_cs``: without both (whole maps compared cell by cell as they come).

Logged: ``loss_global``, ``loss_local``, ``global_std`` and ``local_std``: the per-voxel
feature standard deviation of the ℓ2-normalised online local projection (over
samples and voxels, mean over channels), the collapse monitor; it goes to 0 when all
voxels map to one vector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.losses.byol import byol_loss, local_consistency_loss
from medssl.methods.base import METHODS
from medssl.methods.byol import Byol, feature_std
from medssl.models.byol_net import BYOLNet

ABLATIONS: dict[str, tuple[bool, bool]] = {
    "none": (True, True),
    "no_f": (False, True),
    "no_cs": (True, False),
    "no_f_cs": (False, False),
}


@METHODS.register("pgl")
class Pgl(Byol):
    """PGL pretraining: BYOL's global loss plus the aligned local consistency loss.

    Args:
        local_hidden: Hidden width of the local (1×1×1 conv) heads (4096).
        global_weight: Weight of the global BYOL loss (0 drops the global heads).
        local_weight: Weight of the local loss.
        ablation: ``none``, ``no_f``, ``no_cs`` or ``no_f_cs``.
        align_size: Cells per axis of the aligned overlap; default: the feature map's.
        sampling_ratio: RoIAlign samples per cell and axis.
        input_shape, views, hidden, out, base_momentum, length, preprocess: As
            :class:`~medssl.methods.byol.Byol`.

    Raises:
        MedsslError: On an unknown or bad option, or an encoder whose output stride
            does not divide the input.
    """

    name = "pgl"
    local = True

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {**super().tiny_options(), "local_hidden": 16}

    def __init__(
        self,
        *,
        local_hidden: int = 4096,
        global_weight: float = 1.0,
        local_weight: float = 1.0,
        ablation: str = "none",
        align_size: Sequence[int] | None = None,
        sampling_ratio: int = 2,
        input_shape: Sequence[int] = (96, 96, 16),
        views: Mapping[str, Any] | None = None,
        hidden: int = 4096,
        out: int = 256,
        base_momentum: float = 0.996,
        length: int | None = None,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            input_shape=input_shape,
            views=views,
            hidden=hidden,
            out=out,
            base_momentum=base_momentum,
            length=length,
            preprocess=preprocess,
        )
        if ablation not in ABLATIONS:
            raise MedsslError(f"unknown ablation '{ablation}'; valid: {', '.join(ABLATIONS)}")
        if float(global_weight) < 0 or float(local_weight) <= 0:
            raise MedsslError(
                "global_weight must be >= 0 and local_weight > 0; "
                f"got {global_weight} and {local_weight}"
            )
        self.local_hidden = int(local_hidden)
        self.global_weight, self.local_weight = float(global_weight), float(local_weight)
        self.ablation = ablation
        self.flip, self.crop_scale = ABLATIONS[ablation]
        self.align_size = None if align_size is None else tuple(int(s) for s in align_size)
        self.sampling_ratio = int(sampling_ratio)
        self.stride: tuple[int, int, int] = (1, 1, 1)

    def network_options(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden,
            "out": self.out,
            "local": True,
            "local_hidden": self.local_hidden,
            "global_heads": self.global_weight > 0,
        }

    def build_model(self, cfg: Any) -> BYOLNet:
        model = super().build_model(cfg)
        self.stride = self.output_stride(model.encoder)
        return model

    def output_stride(self, encoder: nn.Module) -> tuple[int, int, int]:
        """The stride of the encoder's last feature map along each axis, checked.

        Raises:
            MedsslError: If it does not divide the input shape.
        """
        stride = getattr(encoder, "axis_strides", None)
        stride = tuple(stride[-1]) if stride else (int(encoder.strides[-1]),) * 3
        shape = self.view.input_shape
        if any(n % s for n, s in zip(shape, stride)):
            raise MedsslError(
                f"the encoder's output stride {stride} must divide the input shape {shape}; "
                "set model_kwargs.output_stride (e.g. [16, 16, 8]) or input_shape"
            )
        return stride

    def loss(
        self, model: nn.Module, batch: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        online, target = self.forward_views(model, batch)
        local = local_consistency_loss(
            online["local_pred"],
            target["local_proj"],
            batch,
            input_shape=self.view.input_shape,
            stride=self.stride,
            output_size=self.align_size,
            flip=self.flip,
            crop_scale=self.crop_scale,
            sampling_ratio=self.sampling_ratio,
        )
        loss = self.local_weight * local
        logs = {"loss_local": float(local.detach()), "local_std": feature_std(online["local_proj"])}
        if self.global_weight > 0:
            g1, g2 = online["global_pred"].chunk(2)
            t1, t2 = target["global_proj"].chunk(2)
            glob = byol_loss(g1, t2, g2, t1)
            loss = loss + self.global_weight * glob
            logs |= {
                "loss_global": float(glob.detach()),
                "global_std": feature_std(online["global_proj"]),
            }
        return loss, logs

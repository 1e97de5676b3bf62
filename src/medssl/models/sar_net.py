"""SAR's network: the restoration UNet with a scale head and MIAL on its encoder.

Zhang et al., "SAR: Scale-Aware Restoration Learning for 3D Tumor Segmentation",
MICCAI 2021. The method (:mod:`medssl.methods.sar`) trains it; it is a registered
model, ``sar_net``, so a weights file of the whole network records its true
architecture and :func:`medssl.models.load_model` rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.func import functional_call

from medssl.errors import MedsslError
from medssl.models.heads import GlobalPoolHead
from medssl.models.mial import MIAL, reverse_gradient
from medssl.models.registry import MODELS, create_from_spec
from medssl.models.segnet import SegNet


class SarOutput(NamedTuple):
    """What :class:`SarNet` returns; a head that is off gives None.

    ``modality`` is MIAL's prediction as its own loss sees it; ``confusion`` (the
    ``confusion`` adversary only) is the same prediction as the encoder's loss sees it,
    made with MIAL's weights frozen.

    Shape:
        ``restored``: (N, 1, X, Y, Z) logits; ``scale``: (N, n_scales);
        ``modality`` and ``confusion``: (N, 2).
    """

    restored: torch.Tensor
    scale: torch.Tensor | None
    modality: torch.Tensor | None
    confusion: torch.Tensor | None = None


class SarNet(nn.Module):
    """The UNet with SAR's scale head and MIAL on its encoder.

    Args:
        unet: The restoration network (``unet.encoder`` is what SAR pretrains).
        scale_head: Classifier on the bottleneck, or None (ablation).
        mial: Modality discriminator on the encoder levels, or None (ablation).
        adversary: ``confusion`` or ``reversal``, how the encoder plays against MIAL.
        reversal: Weight of the reversed gradient (the ``reversal`` adversary).
    """

    def __init__(
        self,
        unet: SegNet,
        *,
        scale_head: nn.Module | None,
        mial: MIAL | None,
        adversary: str = "confusion",
        reversal: float = 1.0,
    ) -> None:
        super().__init__()
        self.unet = unet
        self.size_divisor: int = unet.size_divisor
        self.scale_head = scale_head
        self.mial = mial
        self.adversary = adversary
        self.reversal = float(reversal)

    def forward(self, x: torch.Tensor, *, adversary: bool = True) -> SarOutput:
        """Restore ``x``; classify its scale and (if ``adversary``) its modality."""
        restored, features = self.unet.forward_with_features(x)
        scale = self.scale_head(features[-1]) if self.scale_head is not None else None
        if not adversary or self.mial is None:
            return SarOutput(restored, scale, None)
        if self.adversary == "reversal":
            modality = self.mial([reverse_gradient(f, self.reversal) for f in features])
            return SarOutput(restored, scale, modality)
        modality = self.mial([f.detach() for f in features])
        frozen = {name: p.detach() for name, p in self.mial.named_parameters()}
        confusion = functional_call(self.mial, frozen, (list(features),))
        return SarOutput(restored, scale, modality, confusion)


@MODELS.register("sar_net")
def sar_net(
    *,
    unet: dict[str, Any],
    n_scales: int | None = 3,
    scale_hidden: int = 256,
    mial: dict[str, Any] | None = None,
    adversary: str = "confusion",
    reversal: float = 1.0,
) -> SarNet:
    """SAR's network.

    Args:
        unet: Spec ``{"arch", "config"}`` of the restoration network (encoder-decoder).
        n_scales: Scale classes of the scale head; None for no scale head.
        scale_hidden: Hidden width of the scale head.
        mial: :class:`MIAL` options (``levels``, ``width``, ``hidden``); None for none.
        adversary: ``confusion`` or ``reversal``.
        reversal: Weight of the reversed gradient.

    Raises:
        MedsslError: If ``unet`` is not an encoder-decoder network.
    """
    net = create_from_spec(unet, what="sar_net unet")
    if not isinstance(net, SegNet):
        raise MedsslError(
            f"restoration needs an encoder-decoder network (e.g. unet3d); got '{unet['arch']}'"
        )
    channels: Sequence[int] = list(net.encoder.out_channels)
    scale_head = GlobalPoolHead(channels[-1], scale_hidden, n_scales) if n_scales else None
    adversary_net = MIAL(channels, **mial) if mial is not None else None
    return SarNet(
        net, scale_head=scale_head, mial=adversary_net, adversary=adversary, reversal=reversal
    )

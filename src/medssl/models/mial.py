"""MIAL, SAR's modality-invariant adversarial module, and the gradient-reversal layer.

Zhang et al., "SAR: Scale-Aware Restoration Learning for 3D Tumor Segmentation",
MICCAI 2021: a discriminator of three convolutions, global average pooling and two
fully connected layers, densely connected to several encoder levels, predicts the
modality (CT or MR) of the features, while the encoder learns to make the modalities
indistinguishable.

The min-max game itself is played by :class:`medssl.models.sar_net.SarNet`, either with a
gradient-reversal layer (:func:`reverse_gradient`; Ganin & Lempitsky, "Unsupervised
Domain Adaptation by Backpropagation", ICML 2015) or with a confusion target (Tzeng et
al., "Simultaneous Deep Transfer Across Domains and Tasks", ICCV 2015).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from medssl.errors import MedsslError
from medssl.models.blocks import init_weights
from medssl.models.heads import GlobalPoolHead


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.weight * grad, None


def reverse_gradient(x: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-weight`` backward.

    Shape:
        Any; the output has the shape of ``x``.
    """
    return _ReverseGradient.apply(x, float(weight))


class MIAL(nn.Module):
    """Modality discriminator on several encoder levels (SAR's MIAL).

    Each used level is average-pooled to the spatial size of the coarsest one and the
    maps are concatenated (dense connection); then three ``Conv3d 3×3×3 → LeakyReLU``,
    global average pooling and two fully connected layers give the modality logits.

    Args:
        in_channels: Channels of every encoder level, finest first
            (``encoder.out_channels``).
        levels: Indices of the levels used; None for all.
        width: Channels of the three convolutions.
        hidden: Width of the hidden fully connected layer.
        n_modalities: Number of classes (2: CT, MR).

    Raises:
        MedsslError: For a level index outside ``in_channels`` or a width < 1.

    Shape:
        A list of ``(N, in_channels[i], X_i, Y_i, Z_i)`` → ``(N, n_modalities)``.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        *,
        levels: Sequence[int] | None = None,
        width: int = 64,
        hidden: int = 64,
        n_modalities: int = 2,
    ) -> None:
        super().__init__()
        channels = list(in_channels)
        self.levels = list(range(len(channels))) if levels is None else [int(i) for i in levels]
        if not self.levels or any(not 0 <= i < len(channels) for i in self.levels):
            raise MedsslError(
                f"MIAL levels must be indices in 0..{len(channels) - 1}; got {list(levels or [])}"
            )
        if width < 1 or hidden < 1:
            raise MedsslError(f"MIAL width and hidden must be >= 1; got {width} and {hidden}")
        c_in = sum(channels[i] for i in self.levels)
        layers: list[nn.Module] = []
        for c in (c_in, width, width):
            layers += [
                nn.Conv3d(c, width, kernel_size=3, padding=1),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        self.convs = nn.Sequential(*layers)
        self.classifier = GlobalPoolHead(width, hidden, n_modalities)
        init_weights(self.convs)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        used = [features[i] for i in self.levels]
        size = min((f.shape[2:] for f in used), key=lambda s: s.numel())
        pooled = [F.adaptive_avg_pool3d(f, size) for f in used]
        return self.classifier(self.convs(torch.cat(pooled, dim=1)))

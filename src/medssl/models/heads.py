"""Small heads built from one MLP base.

- :class:`GlobalPoolHead`: global average pool + two fully connected layers. The scale
  head of SAR (Zhang et al., "Scale-Aware Restoration", 2021) and the classifiers of
  rotation, jigsaw and relative-patch-location pretraining (Taleb et al., "3D
  Self-Supervised Methods for Medical Imaging", NeurIPS 2020).
- :class:`MultiLevelPoolHead`: the same on several encoder levels at once, pooled and
  concatenated (a classifier or adversary densely connected to the encoder).
- :class:`ProjectionHead` / :class:`PredictionHead`: the projector and predictor of
  BYOL (Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.blocks import init_weights


def global_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """Average over all spatial dims.

    Shape:
        ``(N, C, X, Y, Z) → (N, C)``.
    """
    return x.flatten(2).mean(dim=2)


class MLP(nn.Sequential):
    """``Linear → [BN] → ReLU`` per hidden layer, then a final ``Linear``.

    Args:
        in_features: Input features.
        hidden_features: Width of each hidden layer (may be empty).
        out_features: Output features.
        batch_norm: Put a ``BatchNorm1d`` after each hidden ``Linear`` (needs batches
            of 2 or more in training).

    Raises:
        MedsslError: If a width is not positive.

    Shape:
        ``(N, in_features) → (N, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: Sequence[int],
        out_features: int,
        *,
        batch_norm: bool = False,
    ) -> None:
        widths = [in_features, *hidden_features, out_features]
        if min(widths) < 1:
            raise MedsslError(f"MLP widths must be >= 1; got {widths}")
        layers: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise(widths[:-1]):
            layers.append(nn.Linear(c_in, c_out, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Linear(widths[-2], widths[-1]))
        super().__init__(*layers)
        init_weights(self)


class GlobalPoolHead(nn.Module):
    """Global average pool + two fully connected layers (a classifier on a feature map).

    Args:
        in_channels: Channels of the feature map.
        hidden: Width of the hidden layer.
        n_classes: Number of outputs (logits).
        batch_norm: Batch-normalise the hidden layer.

    Shape:
        ``(N, in_channels, X, Y, Z) → (N, n_classes)``.
    """

    def __init__(
        self, in_channels: int, hidden: int, n_classes: int, *, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.mlp = MLP(in_channels, [hidden], n_classes, batch_norm=batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(global_avg_pool(x))


class MultiLevelPoolHead(nn.Module):
    """Pool several feature maps, concatenate them, and classify with two FC layers.

    Args:
        in_channels: Channels of each feature map used (e.g. ``encoder.out_channels``).
        hidden: Width of the hidden layer.
        n_classes: Number of outputs (logits).
        batch_norm: Batch-normalise the hidden layer.

    Shape:
        A sequence of ``(N, in_channels[i], X_i, Y_i, Z_i)`` → ``(N, n_classes)``.
    """

    def __init__(
        self, in_channels: Sequence[int], hidden: int, n_classes: int, *, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.in_channels = list(in_channels)
        self.mlp = MLP(sum(self.in_channels), [hidden], n_classes, batch_norm=batch_norm)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        if [f.shape[1] for f in features] != self.in_channels:
            raise MedsslError(
                f"head expects feature maps with channels {self.in_channels}; "
                f"got {[f.shape[1] for f in features]}"
            )
        return self.mlp(torch.cat([global_avg_pool(f) for f in features], dim=1))


class ProjectionHead(MLP):
    """BYOL projector: ``Linear → BN → ReLU → Linear`` (4096 hidden, 256 out in BYOL).

    Shape:
        ``(N, in_features) → (N, out_features)``; pool feature maps first with
        :func:`global_avg_pool`.
    """

    def __init__(
        self, in_features: int, hidden_features: int = 4096, out_features: int = 256
    ) -> None:
        super().__init__(in_features, [hidden_features], out_features, batch_norm=True)


class PredictionHead(MLP):
    """BYOL predictor (same layout as the projector, on the projection).

    Shape:
        ``(N, in_features) → (N, out_features)``.
    """

    def __init__(
        self, in_features: int = 256, hidden_features: int = 4096, out_features: int = 256
    ) -> None:
        super().__init__(in_features, [hidden_features], out_features, batch_norm=True)

"""The shared network of the Taleb et al. pretext tasks: a Siamese encoder + classifier.

Taleb et al., "3D Self-Supervised Methods for Medical Imaging", NeurIPS 2020: the same
encoder runs on every input tile (one rotated cube; the two patches of relative patch
location; the shuffled tiles of a jigsaw puzzle), each bottleneck is global-average
pooled, the pooled vectors are concatenated in tile order and two fully connected
layers predict the class. Here the encoder is the 3D UNet's (or any registered
network's), so every method pretrains the same weights for a fair comparison.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.base import encoder_of
from medssl.models.heads import MLP, global_avg_pool
from medssl.models.registry import MODELS, create_from_spec, model_spec


def encoder_spec(cfg: Any) -> dict[str, Any]:
    """The spec of ``create_model(cfg.model, in_channels=1, **cfg.model_kwargs)``."""
    return model_spec(cfg.model, **{"in_channels": 1, **dict(cfg.model_kwargs)})


class TileClassifier(nn.Module):
    """Shared encoder on each of ``n_tiles`` inputs, pooled, concatenated, classified.

    Args:
        encoder: An encoder (its last feature map is pooled).
        n_tiles: Inputs per sample (1 for rotation, 2 for relative patch location,
            ``grid³`` for jigsaw).
        n_classes: Number of classes.
        hidden: Width of the hidden fully connected layer.

    Attributes:
        encoder: The shared encoder (exported for fine-tuning).
        classifier: The two fully connected layers.

    Raises:
        MedsslError: If ``n_tiles`` or ``n_classes`` is below 1 (below 2 classes).

    Shape:
        ``(N, n_tiles, C, X, Y, Z) → (N, n_classes)`` logits.
    """

    def __init__(
        self, encoder: nn.Module, *, n_tiles: int, n_classes: int, hidden: int = 1024
    ) -> None:
        super().__init__()
        if n_tiles < 1 or n_classes < 2:
            raise MedsslError(
                f"need n_tiles >= 1 and n_classes >= 2; got {n_tiles} and {n_classes}"
            )
        self.encoder = encoder
        self.n_tiles = n_tiles
        self.size_divisor: int = int(getattr(encoder, "size_divisor", 1))
        self.classifier = MLP(n_tiles * encoder.out_channels[-1], [hidden], n_classes)

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        if tiles.dim() != 6 or tiles.shape[1] != self.n_tiles:
            raise MedsslError(
                f"expected tiles of shape (N, {self.n_tiles}, C, X, Y, Z); got {tuple(tiles.shape)}"
            )
        n = tiles.shape[0]
        flat = tiles.flatten(0, 1)
        if next(self.encoder.parameters()).is_contiguous(memory_format=torch.channels_last_3d):
            flat = flat.contiguous(memory_format=torch.channels_last_3d)
        pooled = global_avg_pool(self.encoder(flat)[-1])
        return self.classifier(pooled.reshape(n, -1))


@MODELS.register("tile_classifier")
def tile_classifier(
    *, encoder: dict[str, Any], n_tiles: int, n_classes: int, hidden: int = 1024
) -> TileClassifier:
    """A :class:`TileClassifier` on the encoder of the network ``encoder`` describes.

    Args:
        encoder: Spec ``{"arch", "config"}`` of the network whose encoder is shared.
        n_tiles: Inputs per sample.
        n_classes: Number of classes.
        hidden: Width of the hidden fully connected layer.

    Raises:
        MedsslError: If the network is unknown or has no encoder.
    """
    shared = encoder_of(create_from_spec(encoder, what="tile_classifier encoder"))
    return TileClassifier(shared, n_tiles=n_tiles, n_classes=n_classes, hidden=hidden)

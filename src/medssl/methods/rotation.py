"""3D rotation prediction (Taleb et al., "3D Self-Supervised Methods for Medical
Imaging", NeurIPS 2020).

A cube is cut at random and rotated by one of 10 rotations (the identity and 90°,
180°, 270° about each axis; :mod:`medssl.views.rotation`). The encoder, global average
pooling and two fully connected layers predict the rotation; cross-entropy loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from medssl.data.volumes import VolumeOptions, load_volumes, make_views
from medssl.losses.classification import classification_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.options import check_counts
from medssl.models import create_model
from medssl.models.tile_classifier import TileClassifier, encoder_spec
from medssl.transforms import N_ROTATIONS
from medssl.views import RotationViewConfig, make_rotation_dataset


@METHODS.register("rotation")
class Rotation(Method):
    """Rotation prediction pretraining (Taleb et al., NeurIPS 2020).

    Args:
        size: Side of the rotated cube (a multiple of the encoder's size divisor).
        pad: Pad a volume smaller than the cube instead of raising.
        hidden: Hidden width of the classifier.
        length: Samples per epoch; None for an endless stream of new samples.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields.

    Raises:
        MedsslError: On an unknown or bad option.
    """

    name = "rotation"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {"size": 16, "hidden": 32, "preprocess": {"preset": "none"}}

    def __init__(
        self,
        *,
        size: int = 64,
        pad: bool = False,
        hidden: int = 1024,
        length: int | None = None,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        self.view = RotationViewConfig(size=size, pad=bool(pad))
        self.hidden = hidden
        self.length, _ = check_counts(length=length)
        self.volume_options = VolumeOptions.from_mapping(preprocess)

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"size": (self.view.size,) * 3}

    def build_model(self, cfg: Any) -> TileClassifier:
        return create_model(
            "tile_classifier",
            encoder=encoder_spec(cfg),
            n_tiles=1,
            n_classes=N_ROTATIONS,
            hidden=self.hidden,
        )

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_volumes(records, self.volume_options)
        return make_views(
            make_rotation_dataset, volumes, seed=seed, length=self.length, config=self.view
        )

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        return classification_loss(model(batch["input"].unsqueeze(1)), batch["label"])

    def encoder_of(self, model: TileClassifier) -> nn.Module:
        return model.encoder

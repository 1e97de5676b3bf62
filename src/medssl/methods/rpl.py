"""3D relative patch location (Taleb et al., "3D Self-Supervised Methods for Medical
Imaging", NeurIPS 2020; after Doersch et al., ICCV 2015).

A cube is split into a 3×3×3 grid; the centre cell's patch and one of its 26
neighbours' patches (the query), each jittered, are cut (:mod:`medssl.views.rpl`). The
shared encoder runs on both (Siamese), the pooled features are concatenated and two
fully connected layers predict where the query lies; cross-entropy over 26 classes.
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
from medssl.transforms import N_NEIGHBOURS, RplConfig
from medssl.views import make_rpl_dataset


@METHODS.register("rpl")
class RelativePatchLocation(Method):
    """Relative patch location pretraining (Taleb et al., NeurIPS 2020).

    Args:
        cell: Side of a cell; the cube has side ``3 * cell``.
        patch: Side of a patch (a multiple of the encoder's size divisor).
        pad: Pad a volume smaller than the cube instead of raising.
        hidden: Hidden width of the classifier.
        length: Samples per epoch; None for an endless stream of new samples.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields.

    Raises:
        MedsslError: On an unknown or bad option.
    """

    name = "rpl"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {"cell": 10, "patch": 8, "hidden": 32, "preprocess": {"preset": "none"}}

    def __init__(
        self,
        *,
        cell: int = 32,
        patch: int = 24,
        pad: bool = False,
        hidden: int = 1024,
        length: int | None = None,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        self.view = RplConfig(cell=cell, patch=patch, pad=bool(pad))
        self.hidden = hidden
        self.length, _ = check_counts(length=length)
        self.volume_options = VolumeOptions.from_mapping(preprocess)

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"patch": (self.view.patch,) * 3}

    def build_model(self, cfg: Any) -> TileClassifier:
        return create_model(
            "tile_classifier",
            encoder=encoder_spec(cfg),
            n_tiles=2,
            n_classes=N_NEIGHBOURS,
            hidden=self.hidden,
        )

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_volumes(records, self.volume_options)
        return make_views(
            make_rpl_dataset, volumes, seed=seed, length=self.length, config=self.view
        )

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        tiles = torch.stack([batch["centre"], batch["query"]], dim=1)
        return classification_loss(model(tiles), batch["label"])

    def encoder_of(self, model: TileClassifier) -> nn.Module:
        return model.encoder

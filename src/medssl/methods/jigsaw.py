"""3D jigsaw puzzles (Taleb et al., "3D Self-Supervised Methods for Medical Imaging",
NeurIPS 2020).

A cube is split into a 3×3×3 grid, a jittered tile is cut from each cell and the tiles
are shuffled by one of a fixed set of permutations chosen for large Hamming distances
(:mod:`medssl.views.jigsaw`). The shared encoder runs on every tile (Siamese), the
pooled features are concatenated in the shuffled order and two fully connected layers
predict the permutation's index; cross-entropy loss.
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
from medssl.transforms import JigsawConfig
from medssl.views import make_jigsaw_dataset


@METHODS.register("jigsaw")
class Jigsaw(Method):
    """Jigsaw pretraining (Taleb et al., NeurIPS 2020).

    Args:
        grid: Cells per axis (3 in the paper).
        cell: Side of a cell; the cube has side ``grid * cell``.
        tile: Side of a tile (a multiple of the encoder's size divisor).
        n_permutations: Size of the permutation set: the number of classes.
        permutation_seed: Seed of the permutation set (fixed for a run).
        pad: Pad a volume smaller than the cube instead of raising.
        hidden: Hidden width of the classifier.
        length: Samples per epoch; None for an endless stream of new samples.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields.

    Raises:
        MedsslError: On an unknown or bad option.
    """

    name = "jigsaw"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {
            "grid": 2,
            "cell": 10,
            "tile": 8,
            "n_permutations": 6,
            "hidden": 32,
            "preprocess": {"preset": "none"},
        }

    def __init__(
        self,
        *,
        grid: int = 3,
        cell: int = 32,
        tile: int = 24,
        n_permutations: int = 100,
        permutation_seed: int = 0,
        pad: bool = False,
        hidden: int = 1024,
        length: int | None = None,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        self.view = JigsawConfig(
            grid=grid,
            cell=cell,
            tile=tile,
            n_permutations=n_permutations,
            permutation_seed=permutation_seed,
            pad=bool(pad),
        )
        self.hidden = hidden
        self.length, _ = check_counts(length=length)
        self.volume_options = VolumeOptions.from_mapping(preprocess)

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"tile": (self.view.tile,) * 3}

    def build_model(self, cfg: Any) -> TileClassifier:
        return create_model(
            "tile_classifier",
            encoder=encoder_spec(cfg),
            n_tiles=self.view.grid**3,
            n_classes=self.view.n_permutations,
            hidden=self.hidden,
        )

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_volumes(records, self.volume_options)
        return make_views(
            make_jigsaw_dataset, volumes, seed=seed, length=self.length, config=self.view
        )

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        return classification_loss(model(batch["tiles"]), batch["label"])

    def encoder_of(self, model: TileClassifier) -> nn.Module:
        return model.encoder

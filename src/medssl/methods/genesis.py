"""Models Genesis: learn by restoring the original sub-volume from a corrupted one.

Zhou et al., "Models Genesis", Medical Image Analysis 2021. Sub-volumes of 64×64×32 are
cut at random from the preprocessed scans (intensities in [0, 1]) and corrupted by
non-linear intensity mapping, local pixel shuffling and in- or out-painting
(:mod:`medssl.views.genesis`). A 3D UNet with one input and one output channel and a
sigmoid output restores the original; the loss is the mean squared error. The encoder
(``encoder.pt``) or the whole UNet (``model.pt``) initialises a segmentation network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from medssl.data.volumes import VolumeOptions, held_out_batches, load_volumes, make_views
from medssl.errors import MedsslError
from medssl.losses.restoration import restoration_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.options import as_shape, check_counts
from medssl.models import create_model, encoder_of
from medssl.models.segnet import SegNet
from medssl.transforms import GenesisConfig
from medssl.views import GenesisViewConfig, make_genesis_dataset


def restoration_unet(cfg: Any) -> SegNet:
    """``create_model(cfg.model, in_channels=1, out_channels=1, **cfg.model_kwargs)``.

    Raises:
        MedsslError: If the network is not encoder-decoder (it must restore an image).
    """
    kwargs = {"in_channels": 1, "out_channels": 1, **dict(cfg.model_kwargs)}
    model = create_model(cfg.model, **kwargs)
    if not isinstance(model, SegNet):
        raise MedsslError(
            f"restoration needs an encoder-decoder network (e.g. unet3d); got '{cfg.model}'"
        )
    return model


@METHODS.register("genesis")
class Genesis(Method):
    """Models Genesis pretraining (Zhou et al., MedIA 2021).

    Args:
        crop_shape: Sub-volume shape (64×64×32 in the paper).
        pad: Pad a volume smaller than ``crop_shape`` instead of raising.
        transform: Overrides of the transforms' probabilities
            (:class:`~medssl.transforms.GenesisConfig` fields).
        length: Samples per epoch; None for an endless stream of new samples.
        val_items: Held-out items (same volumes, another seed) scored by ``validate``;
            0 turns validation off.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields.

    Raises:
        MedsslError: On an unknown or bad option.
    """

    name = "genesis"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {"crop_shape": [16, 16, 16], "val_items": 2, "preprocess": {"preset": "none"}}

    def __init__(
        self,
        *,
        crop_shape: Sequence[int] = (64, 64, 32),
        pad: bool = False,
        transform: Mapping[str, Any] | None = None,
        length: int | None = None,
        val_items: int = 8,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        self.view = GenesisViewConfig(
            crop_shape=as_shape(crop_shape, name="crop_shape"),
            transform=genesis_transform(transform),
            pad=bool(pad),
        )
        self.length, self.val_items = check_counts(length=length, val_items=val_items)
        self.volume_options = VolumeOptions.from_mapping(preprocess)
        self.held_out: torch.utils.data.Dataset | None = None

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"crop_shape": tuple(self.view.crop_shape)}

    def build_model(self, cfg: Any) -> nn.Module:
        return restoration_unet(cfg)

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_volumes(records, self.volume_options)
        self.held_out = None
        if self.val_items:
            self.held_out = make_views(
                make_genesis_dataset,
                volumes,
                seed=seed + 1,
                length=self.val_items,
                config=self.view,
            )
        return make_views(
            make_genesis_dataset, volumes, seed=seed, length=self.length, config=self.view
        )

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        loss = restoration_loss(model(batch["input"]), batch["target"])
        return loss, {"mse": float(loss.detach())}

    def validate(self, model: nn.Module, cfg: Any) -> dict[str, float]:
        """Restoration MSE on the held-out items (label-free; lower is better)."""
        if self.held_out is None:
            return {}
        batches = held_out_batches(self.held_out, batch_size=cfg.batch_size, like=model)
        losses = [float(self.loss(model, batch)[0]) for batch in batches]
        return {"val_loss": sum(losses) / len(losses)}

    def encoder_of(self, model: nn.Module) -> nn.Module:
        return encoder_of(model)


def genesis_transform(options: Mapping[str, Any] | None) -> GenesisConfig:
    """A :class:`GenesisConfig` from overrides of its fields.

    Raises:
        MedsslError: On an unknown field, naming the valid ones.
    """
    options = dict(options or {})
    valid = list(GenesisConfig.__dataclass_fields__)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise MedsslError(f"unknown transform option '{unknown[0]}'; valid: {', '.join(valid)}")
    return GenesisConfig(**options)

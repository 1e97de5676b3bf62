"""Models Genesis samples: random sub-volumes, corrupted input and original target.

Zhou et al., "Models Genesis", Medical Image Analysis 2021: sub-volumes of 64×64×32
are cut at random from the preprocessed scans and turned into restoration pairs by
:class:`~medssl.transforms.genesis.GenesisTransform`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from medssl.transforms._checks import check_shape
from medssl.transforms.crop import crop, draw_box, fit_volume
from medssl.transforms.genesis import GenesisConfig, GenesisTransform
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, to_tensor


@dataclass(frozen=True)
class GenesisViewConfig:
    """How Models Genesis samples are made.

    Attributes:
        crop_shape: Shape of the sub-volume cut from the volume.
        transform: The transforms' probabilities.
        pad: Pad a volume smaller than ``crop_shape`` instead of raising.
        pad_value: Value of padded voxels.
    """

    crop_shape: tuple[int, int, int] = (64, 64, 32)
    transform: GenesisConfig = field(default_factory=GenesisConfig)
    pad: bool = False
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        check_shape(self.crop_shape, name="crop_shape")


class GenesisSample:
    """Make one item ``{"input", "target"}`` from a volume and a generator.

    Args:
        config: The view's settings.

    Shape:
        ``input``, ``target``: (1, *crop_shape).
    """

    def __init__(self, config: GenesisViewConfig) -> None:
        self.config = config
        self.transform = GenesisTransform(config.transform)

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        c = self.config
        volume = fit_volume(volume, c.crop_shape, pad=c.pad, pad_value=c.pad_value)
        sub = crop(volume, draw_box(rng, volume.shape, c.crop_shape))
        x, y = self.transform(sub, rng)
        return {"input": to_tensor(x), "target": to_tensor(y)}


def make_genesis_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: GenesisViewConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of Models Genesis restoration pairs.

    Args:
        volumes: Preprocessed volumes in [0, 1], or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The view's settings; paper defaults when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of ``{"input", "target"}``
        (float32, (1, X, Y, Z)), plus ``"modality"`` when given.

    Raises:
        MedsslError: Bad volumes, modalities, seed, length or config; a volume smaller
            than ``crop_shape`` (when the item is made) with padding off.
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    make = GenesisSample(config or GenesisViewConfig())
    return ViewDataset(source, make, seed=seed, length=length)

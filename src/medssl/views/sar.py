"""SAR samples: multi-scale cubes, restoration pairs and their scale class.

Zhang et al., "SAR: Scale-Aware Restoration Learning for 3D Tumor Segmentation"
(MICCAI 2021): cubes of about 1/2, 1/4 and 1/8 of the volume's side (ratio 1:1:2)
are resized to 64×64×32, corrupted as in Models Genesis and restored, while a head
predicts the scale class. The modality ("ct"/"mr" → 0/1) feeds SAR's adversarial
module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from medssl.transforms.genesis import GenesisConfig, GenesisTransform
from medssl.transforms.scale_cube import RandomScaleCube, ScaleCubeConfig
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, label_tensor, to_tensor


@dataclass(frozen=True)
class SarViewConfig:
    """How SAR samples are made.

    Attributes:
        cubes: Scales, their probabilities, output shape and padding.
        transform: The Models Genesis transforms' probabilities.
    """

    cubes: ScaleCubeConfig = field(default_factory=ScaleCubeConfig)
    transform: GenesisConfig = field(default_factory=GenesisConfig)


class SarSample:
    """Make one item ``{"input", "target", "scale"}`` from a volume and a generator.

    Shape:
        ``input``, ``target``: (1, *out_shape); ``scale``: () long.
    """

    def __init__(self, config: SarViewConfig) -> None:
        self.config = config
        self.cubes = RandomScaleCube(config.cubes)
        self.transform = GenesisTransform(config.transform)

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        cube, params = self.cubes(volume, rng)
        x, y = self.transform(cube, rng)
        return {
            "input": to_tensor(x),
            "target": to_tensor(y),
            "scale": label_tensor(params.scale_class),
        }


def make_sar_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: SarViewConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of SAR samples.

    Args:
        volumes: Preprocessed volumes in [0, 1], or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The view's settings; paper defaults when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of ``{"input", "target"}``
        (float32, (1, *out_shape)) and ``"scale"`` (long, index into
        ``config.cubes.scales``), plus ``"modality"`` when given.

    Raises:
        MedsslError: Bad volumes, modalities, seed, length or config; a volume smaller
            than ``out_shape`` (when the item is made) with padding off.
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    make = SarSample(config or SarViewConfig())
    return ViewDataset(source, make, seed=seed, length=length)

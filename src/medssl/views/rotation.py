"""3D rotation samples (Taleb et al., NeurIPS 2020): a rotated cube and its class.

A cube of side ``size`` is cut at random from the volume and rotated by one of the 10
rotations of :mod:`medssl.transforms.rotation`; the network predicts the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from medssl.transforms._checks import check_positive_int
from medssl.transforms.crop import crop, draw_box, fit_volume
from medssl.transforms.rotation import draw_rotation, rotate
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, label_tensor, to_tensor


@dataclass(frozen=True)
class RotationViewConfig:
    """How rotation samples are made.

    Attributes:
        size: Side of the cube cut from the volume.
        pad: Pad a volume smaller than the cube instead of raising.
        pad_value: Value of padded voxels.
    """

    size: int = 64
    pad: bool = False
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        check_positive_int(self.size, name="size")


class RotationSample:
    """Make one item ``{"input", "label"}``.

    Shape:
        ``input``: (1, size, size, size); ``label``: () long in 0..9.
    """

    def __init__(self, config: RotationViewConfig) -> None:
        self.config = config

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        c = self.config
        shape = (c.size,) * 3
        volume = fit_volume(volume, shape, pad=c.pad, pad_value=c.pad_value)
        cube = crop(volume, draw_box(rng, volume.shape, shape))
        params = draw_rotation(rng)
        return {"input": to_tensor(rotate(cube, params)), "label": label_tensor(params.label)}


def make_rotation_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: RotationViewConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of rotated cubes labelled with their rotation class.

    Args:
        volumes: Preprocessed volumes, or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The view's settings; cubes of 64 when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of ``{"input", "label"}``.

    Raises:
        MedsslError: Bad volumes, modalities, seed, length or config; a volume smaller
            than the cube (when the item is made) with padding off.
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    make = RotationSample(config or RotationViewConfig())
    return ViewDataset(source, make, seed=seed, length=length)

"""3D relative patch location samples (Taleb et al., NeurIPS 2020).

A cube of side ``3 * cell`` is cut at random from the volume; the centre patch and one
of its 26 neighbours are cut by :mod:`medssl.transforms.relative_patch`, and the
network predicts the neighbour's class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from medssl.transforms.crop import crop, draw_box, fit_volume
from medssl.transforms.relative_patch import RandomRelativePatch, RplConfig
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, label_tensor, to_tensor


class RplSample:
    """Make one item ``{"centre", "query", "label"}``.

    Shape:
        ``centre``, ``query``: (1, patch, patch, patch); ``label``: () long in 0..25.
    """

    def __init__(self, config: RplConfig) -> None:
        self.config = config
        self.pairs = RandomRelativePatch(config)

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        c = self.config
        shape = (3 * c.cell,) * 3
        volume = fit_volume(volume, shape, pad=c.pad, pad_value=c.pad_value)
        cube = crop(volume, draw_box(rng, volume.shape, shape))
        centre, query, params = self.pairs(cube, rng)
        return {
            "centre": to_tensor(centre),
            "query": to_tensor(query),
            "label": label_tensor(params.label),
        }


def make_rpl_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: RplConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of (centre, query, relative position) triples.

    Args:
        volumes: Preprocessed volumes, or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The geometry; cells of 32 and patches of 24 when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of ``{"centre", "query", "label"}``.

    Raises:
        MedsslError: Bad volumes, modalities, seed, length or config; a volume smaller
            than the cube (when the item is made) with padding off.
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    make = RplSample(config or RplConfig())
    return ViewDataset(source, make, seed=seed, length=length)

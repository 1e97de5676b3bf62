"""3D Jigsaw samples (Taleb et al., NeurIPS 2020): shuffled tiles and the permutation.

A cube of side ``grid * cell`` is cut at random from the volume and made into a puzzle
by :mod:`medssl.transforms.jigsaw`; the network predicts the permutation's index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from medssl.transforms.crop import crop, draw_box, fit_volume
from medssl.transforms.jigsaw import JigsawConfig, RandomJigsaw
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, label_tensor, to_tensor


class JigsawSample:
    """Make one item ``{"tiles", "label"}``.

    Shape:
        ``tiles``: (grid³, 1, tile, tile, tile); ``label``: () long.
    """

    def __init__(self, config: JigsawConfig) -> None:
        self.config = config
        self.jigsaw = RandomJigsaw(config)

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        c = self.config
        shape = (c.grid * c.cell,) * 3
        volume = fit_volume(volume, shape, pad=c.pad, pad_value=c.pad_value)
        cube = crop(volume, draw_box(rng, volume.shape, shape))
        tiles, params = self.jigsaw(cube, rng)
        return {"tiles": to_tensor(tiles), "label": label_tensor(params.permutation)}


def make_jigsaw_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: JigsawConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of 3D jigsaw puzzles.

    Args:
        volumes: Preprocessed volumes, or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The puzzle; 3×3×3 cells of 32, tiles of 24, 100 permutations when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of ``{"tiles", "label"}``; the
        permutation set is ``config.permutations()``.

    Raises:
        MedsslError: Bad volumes, modalities, seed, length or config (including an
            unreachable ``min_hamming``); a volume smaller than the cube (when the
            item is made) with padding off.
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    make = JigsawSample(config or JigsawConfig())
    return ViewDataset(source, make, seed=seed, length=length)

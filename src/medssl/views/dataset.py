"""The dataset every view maker returns: item ``i`` is re-made from ``(seed, i)``.

A :class:`VolumeSource` gives the preprocessed volumes (already in memory, or loaded
on demand by a callable, e.g. from the preprocessing cache) and their modality. A
:class:`ViewDataset` turns it into a :class:`torch.utils.data.Dataset` of dicts of
tensors: item ``i`` uses volume ``i % n_volumes`` and the generator
``numpy.random.default_rng([seed, i])``, so it is the same in every worker, epoch and
run. Vary ``seed`` per epoch to see new samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch
from torch.utils.data import Dataset

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume, check_positive_int

#: A callable that returns volume ``index`` (X, Y, Z).
VolumeLoader = Callable[[int], np.ndarray]

#: Modality names and the class the SAR adversary predicts.
MODALITIES: dict[str, int] = {"ct": 0, "mr": 1, "mri": 1}


class SampleMaker(Protocol):
    """Makes one item from a volume and a generator (a picklable callable)."""

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]: ...


def modality_class(name: str) -> int:
    """Class of a modality name: "ct" → 0, "mr" (or "mri") → 1, any case.

    Raises:
        MedsslError: For another name.
    """
    key = str(name).strip().lower()
    if key not in MODALITIES:
        raise MedsslError(f"modality must be one of 'ct', 'mr'; got {name!r}")
    return MODALITIES[key]


class VolumeSource:
    """The volumes a dataset draws from, with an optional modality for each.

    Args:
        volumes: The volumes, or a loader ``loader(index) -> volume``.
        n_volumes: Number of volumes; required with a loader, checked with a sequence.
        modalities: One modality name per volume, or one name for all; None to leave
            the modality out of the items.

    Raises:
        MedsslError: If there is no volume, ``n_volumes`` is missing for a loader or
            disagrees with the sequence, or a modality name is unknown or their count
            differs from the number of volumes.
    """

    def __init__(
        self,
        volumes: Sequence[np.ndarray] | VolumeLoader,
        *,
        n_volumes: int | None = None,
        modalities: Sequence[str] | str | None = None,
    ) -> None:
        if callable(volumes):
            if n_volumes is None:
                raise MedsslError("n_volumes is required when volumes is a loader function")
            self._loader: VolumeLoader = volumes
            self._n = check_positive_int(n_volumes, name="n_volumes")
        else:
            items = list(volumes)
            if not items:
                raise MedsslError("volumes must hold at least one volume; got none")
            if n_volumes is not None and n_volumes != len(items):
                raise MedsslError(f"n_volumes is {n_volumes} but {len(items)} volumes were given")
            self._items = [as_volume(v, name=f"volume {k}") for k, v in enumerate(items)]
            self._loader = self._items.__getitem__
            self._n = len(items)
        self._modalities = self._modality_classes(modalities)

    def _modality_classes(self, modalities: Sequence[str] | str | None) -> list[int] | None:
        if modalities is None:
            return None
        if isinstance(modalities, str):
            return [modality_class(modalities)] * self._n
        names = list(modalities)
        if len(names) != self._n:
            raise MedsslError(f"need one modality per volume ({self._n}); got {len(names)}")
        return [modality_class(m) for m in names]

    def __len__(self) -> int:
        return self._n

    def volume(self, index: int) -> np.ndarray:
        """Volume ``index`` as float32 (X, Y, Z).

        Raises:
            MedsslError: If the loader returns something that is not a 3D array.
        """
        return as_volume(self._loader(index), name=f"volume {index}")

    def modality(self, index: int) -> int | None:
        """Modality class of volume ``index`` (0 CT, 1 MR), or None when not given."""
        return None if self._modalities is None else self._modalities[index]


class ViewDataset(Dataset):
    """A map-style dataset of ``length`` items made by ``make``.

    Args:
        source: The volumes.
        make: Builds the item's tensors from a volume and a generator.
        seed: Non-negative run seed.
        length: Number of items (an epoch's worth).

    Raises:
        MedsslError: If ``seed`` is negative or ``length`` < 1.
    """

    def __init__(self, source: VolumeSource, make: SampleMaker, *, seed: int, length: int) -> None:
        self.source = source
        self.make = make
        self.seed = check_positive_int(seed, name="seed", minimum=0)
        self.length = check_positive_int(length, name="length")

    def __len__(self) -> int:
        return self.length

    def rng(self, index: int) -> np.random.Generator:
        """The generator of item ``index``: ``numpy.random.default_rng([seed, index])``."""
        return np.random.default_rng([self.seed, index])

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Item ``index``; adds ``"modality"`` (a long scalar) when the source has one.

        Raises:
            IndexError: If ``index`` is outside ``0..length - 1``.
        """
        if not 0 <= index < self.length:
            raise IndexError(f"index must be in 0..{self.length - 1}; got {index}")
        volume_index = index % len(self.source)
        item = self.make(self.source.volume(volume_index), self.rng(index))
        modality = self.source.modality(volume_index)
        if modality is not None:
            item["modality"] = torch.tensor(modality, dtype=torch.long)
        return item


def to_tensor(array: np.ndarray) -> torch.Tensor:
    """A float32 tensor with a leading channel axis.

    Shape:
        (X, Y, Z) → (1, X, Y, Z); (N, X, Y, Z) → (N, 1, X, Y, Z).
    """
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return tensor.unsqueeze(0) if tensor.ndim == 3 else tensor.unsqueeze(1)


def label_tensor(value: int) -> torch.Tensor:
    """A long scalar tensor for a class label."""
    return torch.tensor(int(value), dtype=torch.long)

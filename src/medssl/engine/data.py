"""The sample stream: which items each step reads, as a pure function of (seed, step).

Global stream position ``p = (step * world_size + rank) * batch_size + j`` is the
``j``-th sample of ``rank`` at ``step``. A dataset with a length is read in a fresh
permutation per epoch (``epoch = p // len``, shuffled by :func:`epoch_rng`); a dataset
without one (an endless synthetic stream) is read at index ``p`` itself. Before each
item the global RNGs are seeded from ``(seed, p)``, so a batch does not depend on which
worker made it. Resuming at step ``s`` therefore reads exactly the batches an
uninterrupted run would have read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

from medssl.engine.seeding import (
    _TAG_SAMPLE,
    derive_seed,
    epoch_rng,
    get_rng_state,
    seed_globals_for,
    set_rng_state,
    worker_init,
)
from medssl.errors import MedsslError

_TAG_LOADER = 6


def dataset_length(dataset: Any) -> int | None:
    """``len(dataset)``, or None for a dataset without a length."""
    try:
        return len(dataset)
    except TypeError:
        return None


class StepBatchSampler:
    """Yields, for steps ``start..stop-1``, this rank's batch of ``(position, index)`` pairs.

    Args:
        length: Dataset length, or None to read index = position.
        batch_size: Samples per step and per rank.
        seed: Run seed (drives the per-epoch shuffle).
        start: First step.
        stop: One past the last step.
        rank: This process's rank.
        world_size: Number of processes.
    """

    def __init__(
        self,
        length: int | None,
        *,
        batch_size: int,
        seed: int,
        start: int,
        stop: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if length is not None and length < 1:
            raise MedsslError("the method's dataset is empty; check the data paths")
        self.length, self.batch_size, self.seed = length, batch_size, seed
        self.start, self.stop, self.rank, self.world_size = start, stop, rank, world_size
        self._epoch, self._perm = -1, np.arange(0)

    def positions(self, step: int) -> list[int]:
        """Global stream positions read by this rank at ``step``."""
        first = (step * self.world_size + self.rank) * self.batch_size
        return list(range(first, first + self.batch_size))

    def index_of(self, position: int) -> int:
        """Dataset index at a stream position."""
        if self.length is None:
            return position
        epoch, offset = divmod(position, self.length)
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, epoch_rng(self.seed, epoch).permutation(self.length)
        return int(self._perm[offset])

    def epoch_of(self, step: int) -> int:
        """Epoch (passes over the dataset) reached at ``step``; 0 for endless datasets."""
        if self.length is None:
            return 0
        return (step * self.world_size * self.batch_size) // self.length

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start, self.stop):
            yield [(p, self.index_of(p)) for p in self.positions(step)]

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


class StreamDataset(Dataset):
    """Wraps a method's dataset: item ``(position, index)`` → ``dataset[index]``, seeded."""

    def __init__(self, dataset: Any, seed: int) -> None:
        self.dataset, self.seed = dataset, seed

    def __getitem__(self, key: tuple[int, int]) -> Any:
        position, index = key
        in_main = get_worker_info() is None
        saved = get_rng_state() if in_main else None
        seed_globals_for(self.seed, _TAG_SAMPLE, position)
        try:
            return self.dataset[index]
        finally:
            if saved is not None:
                set_rng_state(saved)


def make_loader(
    dataset: Any,
    *,
    batch_size: int,
    seed: int,
    start: int,
    stop: int,
    rank: int,
    world_size: int,
    num_workers: int,
    prefetch_factor: int,
    pin_memory: bool = False,
    collate_fn: Any = None,
) -> DataLoader:
    """A DataLoader over steps ``start..stop-1`` of the deterministic sample stream.

    Raises:
        MedsslError: If the dataset is iterable-style (the stream must be indexable).
    """
    if isinstance(dataset, IterableDataset):
        raise MedsslError(
            "the method's dataset must be map-style (item i reproducible from (seed, i)); "
            "got an IterableDataset"
        )
    sampler = StepBatchSampler(
        dataset_length(dataset),
        batch_size=batch_size,
        seed=seed,
        start=start,
        stop=stop,
        rank=rank,
        world_size=world_size,
    )
    extra: dict[str, Any] = {}
    if num_workers > 0:
        extra = {
            "persistent_workers": True,
            "prefetch_factor": prefetch_factor,
            "worker_init_fn": worker_init(seed, rank),
        }
    # Its own generator: creating the loader must not draw from the global torch RNG.
    generator = torch.Generator().manual_seed(derive_seed(seed, _TAG_LOADER, rank))
    return DataLoader(
        StreamDataset(dataset, seed),
        batch_sampler=sampler,
        num_workers=num_workers,
        pin_memory=pin_memory,
        collate_fn=collate_fn,
        generator=generator,
        **extra,
    )


def move_batch(batch: Any, device: torch.device, *, channels_last: bool) -> Any:
    """Move tensors (nested in tuples/lists/dicts) to ``device``; 5-D floats to channels_last_3d."""
    if isinstance(batch, torch.Tensor):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.ndim == 5 and batch.is_floating_point():
            batch = batch.contiguous(memory_format=torch.channels_last_3d)
        return batch
    if isinstance(batch, dict):
        return {k: move_batch(v, device, channels_last=channels_last) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        moved = [move_batch(v, device, channels_last=channels_last) for v in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    return batch

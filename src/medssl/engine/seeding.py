"""Seeds derived from one run seed, and RNG state capture/restore for exact resumption.

Every random stream of a run comes from ``np.random.SeedSequence`` keyed by the run seed
and a purpose: the per-epoch shuffle, each DataLoader worker, each sample position. Two
runs with the same seed draw the same numbers whatever the number of workers.
"""

from __future__ import annotations

import random
import signal
from typing import Any

import numpy as np
import torch

# Purpose tags keep the derived streams independent of each other.
_TAG_EPOCH, _TAG_WORKER, _TAG_SAMPLE, _TAG_DATASET, _TAG_MAIN = 1, 2, 3, 4, 5


def derive_seed(seed: int, *key: int) -> int:
    """A 63-bit seed derived from ``seed`` and an integer key (pure function)."""
    state = np.random.SeedSequence([int(seed), *map(int, key)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator that shuffles epoch ``epoch`` of a run."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _TAG_EPOCH, int(epoch)]))


def sample_rng(seed: int, position: int) -> np.random.Generator:
    """A generator for the sample at global stream ``position`` (independent of workers)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _TAG_SAMPLE, int(position)]))


def dataset_seed(seed: int) -> int:
    """The seed handed to a method's ``make_dataset``."""
    return derive_seed(seed, _TAG_DATASET)


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy's legacy global state and ``random`` from ``seed``."""
    s = derive_seed(seed, _TAG_MAIN)
    torch.manual_seed(s)
    np.random.seed(s % (2**32))
    random.seed(s)


def seed_globals_for(seed: int, *key: int) -> None:
    """Seed the global RNGs of this process from ``(seed, *key)``."""
    s = derive_seed(seed, *key)
    torch.manual_seed(s)
    np.random.seed(s % (2**32))
    random.seed(s)


def worker_init(seed: int, rank: int):
    """A DataLoader ``worker_init_fn`` seeding each worker from ``(seed, rank, worker_id)``."""
    return _WorkerInit(seed, rank)


class _WorkerInit:
    """Picklable worker initialiser (spawned workers need it)."""

    def __init__(self, seed: int, rank: int) -> None:
        self.seed, self.rank = seed, rank

    def __call__(self, worker_id: int) -> None:
        # The main process decides what a Ctrl-C or SIGTERM means (checkpoint, then
        # exit); a worker killed by the same signal would abort it first.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        seed_globals_for(self.seed, _TAG_WORKER, self.rank, worker_id)


def get_rng_state() -> dict[str, Any]:
    """The global RNG states of this process (torch CPU/CUDA, numpy, random)."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore states captured by :func:`get_rng_state`."""
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])

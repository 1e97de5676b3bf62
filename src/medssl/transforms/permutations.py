"""A fixed set of tile permutations far apart in Hamming distance (Jigsaw).

Noroozi & Favaro, "Unsupervised Learning of Visual Representations by Solving Jigsaw
Puzzles", ECCV 2016, algorithm 1, as used in 3D by Taleb et al. (NeurIPS 2020): the
permutations to classify are chosen greedily, each new one maximising its smallest
Hamming distance to those already chosen, so that the classes are easy to tell apart.

With up to 8 tiles every permutation is a candidate; with more (27 for a 3×3×3
grid) a fixed number of random candidates is drawn. Everything derives from ``seed``,
so the same arguments always give the same set.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import check_positive_int

_EXHAUSTIVE_MAX_TILES = 8


def hamming_matrix(permutations: np.ndarray) -> np.ndarray:
    """Pairwise Hamming distances: the number of positions where two permutations differ.

    Shape:
        (P, n_tiles) → (P, P).
    """
    perms = np.asarray(permutations)
    return (perms[:, None, :] != perms[None, :, :]).sum(-1)


def min_hamming_distance(permutations: np.ndarray) -> int:
    """Smallest Hamming distance between two different members of the set (0 if < 2)."""
    if len(permutations) < 2:
        return 0
    dist = hamming_matrix(permutations)
    np.fill_diagonal(dist, np.iinfo(dist.dtype).max)
    return int(dist.min())


def jigsaw_permutations(
    n_tiles: int,
    n_permutations: int,
    *,
    seed: int = 0,
    min_hamming: int | None = None,
    n_candidates: int = 4096,
) -> np.ndarray:
    """The permutation set: deterministic in its arguments, and cached.

    Args:
        n_tiles: Number of tiles (``grid³``).
        n_permutations: Number of permutations, i.e. classes.
        seed: Seed of the first pick and of the random candidates.
        min_hamming: If given, the set must reach at least this smallest pairwise
            Hamming distance.
        n_candidates: Random candidates drawn when ``n_tiles`` > 8.

    Returns:
        A read-only int64 array; row ``p`` lists, for each output position, the tile
        that goes there.

    Raises:
        MedsslError: If ``n_permutations`` exceeds the candidates, or the set's smallest
            distance is below ``min_hamming``.

    Shape:
        (n_permutations, n_tiles).
    """
    n = check_positive_int(n_tiles, name="n_tiles", minimum=2)
    p = check_positive_int(n_permutations, name="n_permutations")
    c = check_positive_int(n_candidates, name="n_candidates")
    perms = _greedy_set(n, p, int(seed), c)
    if min_hamming is not None:
        reached = min_hamming_distance(perms)
        if reached < min_hamming:
            raise MedsslError(
                f"cannot reach a minimum Hamming distance of {min_hamming} with "
                f"{p} permutations of {n} tiles (seed {seed}); best found is {reached}"
            )
    return perms


@lru_cache(maxsize=16)
def _greedy_set(n_tiles: int, n_permutations: int, seed: int, n_candidates: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if n_tiles <= _EXHAUSTIVE_MAX_TILES:
        candidates = np.array(list(itertools.permutations(range(n_tiles))), dtype=np.int64)
    else:
        base = np.tile(np.arange(n_tiles, dtype=np.int64), (n_candidates, 1))
        candidates = rng.permuted(base, axis=1)
    available = len(candidates) if n_tiles > _EXHAUSTIVE_MAX_TILES else math.factorial(n_tiles)
    if n_permutations > available:
        raise MedsslError(
            f"n_permutations must be at most {available} for {n_tiles} tiles; got {n_permutations}"
        )
    chosen = [int(rng.integers(0, len(candidates)))]
    nearest = (candidates != candidates[chosen[0]]).sum(1)
    for _ in range(n_permutations - 1):
        best = int(np.argmax(nearest))
        chosen.append(best)
        nearest = np.minimum(nearest, (candidates != candidates[best]).sum(1))
    perms = candidates[chosen]
    perms.setflags(write=False)
    return perms

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import (
    JigsawConfig,
    JigsawParams,
    RandomJigsaw,
    hamming_matrix,
    jigsaw_permutations,
    make_jigsaw,
    min_hamming_distance,
)

TINY = JigsawConfig(grid=2, cell=6, tile=4, n_permutations=10)


def test_permutation_set_is_deterministic_and_far_apart():
    a = jigsaw_permutations(27, 100, seed=0, min_hamming=20)
    b = jigsaw_permutations(27, 100, seed=0)
    assert a.shape == (100, 27) and np.array_equal(a, b)
    assert min_hamming_distance(a) >= 20
    assert np.all(np.sort(a, axis=1) == np.arange(27))
    assert len({tuple(p) for p in a}) == 100
    assert not np.array_equal(a, jigsaw_permutations(27, 100, seed=1))


def test_small_grid_set_reaches_configured_distance():
    perms = JigsawConfig(grid=2, cell=6, tile=4, n_permutations=10, min_hamming=6).permutations()
    dist = hamming_matrix(perms)
    assert dist[~np.eye(10, dtype=bool)].min() >= 6


def test_unreachable_distance_and_too_many_permutations():
    with pytest.raises(MedsslError, match="minimum Hamming distance"):
        jigsaw_permutations(8, 100, min_hamming=8)
    with pytest.raises(MedsslError, match="n_permutations"):
        jigsaw_permutations(3, 7)


def test_tiles_follow_the_permutation():
    side = TINY.grid * TINY.cell
    # Each cell filled with its own index, so a tile tells which cell it came from.
    idx = np.arange(side) // TINY.cell
    cube = ((idx[:, None, None] * 2 + idx[None, :, None]) * 2 + idx[None, None, :]).astype(
        np.float32
    )
    tiles, params = RandomJigsaw(TINY)(cube, np.random.default_rng(3))
    assert tiles.shape == (8, 4, 4, 4)
    perm = TINY.permutations()[params.permutation]
    assert [int(t.flat[0]) for t in tiles] == perm.tolist()
    assert all(np.all(t == t.flat[0]) for t in tiles)


def test_deterministic_from_seed():
    cube = np.random.default_rng(0).random((12, 12, 12), dtype=np.float32)
    a, pa = RandomJigsaw(TINY)(cube, np.random.default_rng(7))
    b, pb = RandomJigsaw(TINY)(cube, np.random.default_rng(7))
    assert pa == pb and np.array_equal(a, b)
    assert all(0 <= j <= 2 for jit in pa.jitter for j in jit)


def test_errors():
    with pytest.raises(MedsslError, match="tile must be <= cell"):
        JigsawConfig(cell=4, tile=5)
    with pytest.raises(MedsslError, match="side"):
        make_jigsaw(np.zeros((10, 12, 12)), JigsawParams(0, ((0, 0, 0),) * 8), TINY)
    with pytest.raises(MedsslError, match="permutation index"):
        make_jigsaw(np.zeros((12, 12, 12)), JigsawParams(10, ((0, 0, 0),) * 8), TINY)

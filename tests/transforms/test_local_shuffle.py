import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import RandomLocalShuffle, local_shuffle


@pytest.fixture
def volume():
    return np.random.default_rng(0).random((32, 32, 16), dtype=np.float32)


def test_deterministic_from_seed(volume):
    t = RandomLocalShuffle(p=1.0, n_windows=500)
    a, pa = t(volume, np.random.default_rng(5))
    b, pb = t(volume, np.random.default_rng(5))
    assert np.array_equal(a, b) and np.array_equal(pa.windows, pb.windows) and pa.seed == pb.seed
    assert np.array_equal(local_shuffle(volume, pa), a)


def test_keeps_histogram_and_changes_voxels(volume):
    out, _params = RandomLocalShuffle(p=1.0, n_windows=2000)(volume, np.random.default_rng(1))
    assert np.array_equal(np.sort(out.ravel()), np.sort(volume.ravel()))
    assert (out != volume).mean() > 0.3
    assert out.dtype == np.float32 and out.shape == volume.shape


def test_windows_are_small_and_inside(volume):
    params = RandomLocalShuffle(p=1.0, n_windows=1000).draw(np.random.default_rng(2), volume.shape)
    start, size = params.windows[:, :3], params.windows[:, 3:]
    assert size.min() >= 1 and np.all(size <= np.maximum(1, np.array(volume.shape) // 10))
    assert start.min() >= 0 and np.all(start + size <= np.array(volume.shape))


def test_voxels_outside_all_windows_are_untouched(volume):
    params = RandomLocalShuffle(p=1.0, n_windows=50).draw(np.random.default_rng(3), volume.shape)
    covered = np.zeros(volume.shape, bool)
    for x, y, z, sx, sy, sz in params.windows:
        covered[x : x + sx, y : y + sy, z : z + sz] = True
    out = local_shuffle(volume, params)
    assert np.array_equal(out[~covered], volume[~covered])


def test_probabilities_zero_and_one(volume):
    rng = np.random.default_rng(0)
    assert all(RandomLocalShuffle(p=0.0).draw(rng, volume.shape) is None for _ in range(10))
    assert all(RandomLocalShuffle(p=1.0, n_windows=5).draw(rng, volume.shape) for _ in range(10))


def test_window_outside_volume(volume):
    from medssl.transforms import LocalShuffleParams

    with pytest.raises(MedsslError, match="inside the volume"):
        local_shuffle(volume, LocalShuffleParams(np.array([[30, 0, 0, 4, 1, 1]]), 0))


def test_bad_options():
    with pytest.raises(MedsslError, match="n_windows"):
        RandomLocalShuffle(n_windows=0)
    with pytest.raises(MedsslError, match="max_fraction"):
        RandomLocalShuffle(max_fraction=0.0)

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import FlipParams, GenesisConfig, GenesisParams, GenesisTransform, flip

OFF = {"flip_p": 0.0, "local_shuffle_p": 0.0, "bezier_p": 0.0, "painting_p": 0.0}


@pytest.fixture
def volume():
    return np.random.default_rng(0).random((32, 32, 16), dtype=np.float32)


def test_deterministic_from_seed(volume):
    t = GenesisTransform(GenesisConfig(n_shuffle_windows=500))
    x1, y1 = t(volume, np.random.default_rng(9))
    x2, y2 = t(volume, np.random.default_rng(9))
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    params = t.draw(np.random.default_rng(9), volume.shape)
    x3, y3 = t.apply(volume, params)
    assert np.array_equal(x1, x3) and np.array_equal(y1, y3)


def test_all_off_gives_identical_copies(volume):
    x, y = GenesisTransform(GenesisConfig(**OFF))(volume, np.random.default_rng(0))
    assert np.array_equal(x, volume) and np.array_equal(y, volume)
    assert x is not y and not np.shares_memory(x, volume)


def test_all_on_draws_everything(volume):
    cfg = GenesisConfig(
        flip_p=1.0, local_shuffle_p=1.0, bezier_p=1.0, painting_p=1.0, n_shuffle_windows=100
    )
    params = GenesisTransform(cfg).draw(np.random.default_rng(0), volume.shape)
    assert params.flip and params.local_shuffle and params.bezier and params.painting


def test_flip_applies_to_input_and_target(volume):
    fp = FlipParams((0, 2))
    x, y = GenesisTransform.apply(volume, GenesisParams(fp, None, None, None))
    assert np.array_equal(y, flip(volume, fp)) and np.array_equal(x, y)
    cfg = GenesisConfig(**{**OFF, "flip_p": 1.0, "bezier_p": 1.0})
    t = GenesisTransform(cfg)
    params = t.draw(np.random.default_rng(1), volume.shape)
    x, y = t.apply(volume, params)
    assert np.array_equal(y, flip(volume, params.flip))
    np.testing.assert_allclose(
        flip(x, params.flip),
        GenesisTransform.apply(volume, GenesisParams(None, None, params.bezier, None))[0],
        atol=1e-6,
    )


def test_bad_config():
    with pytest.raises(MedsslError, match="probability"):
        GenesisTransform(GenesisConfig(bezier_p=2.0))

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import (
    RandomScaleCube,
    ScaleCubeConfig,
    cube_size,
    cut_scale_cube,
    draw_scale_cube,
)

SMALL = ScaleCubeConfig(out_shape=(16, 16, 8))


@pytest.fixture
def volume():
    return np.random.default_rng(0).random((64, 48, 32), dtype=np.float32)


def test_shapes_labels_and_determinism(volume):
    cubes = RandomScaleCube(SMALL)
    for seed in range(10):
        cube, params = cubes(volume, np.random.default_rng(seed))
        assert cube.shape == (16, 16, 8) and cube.dtype == np.float32
        assert params.scale_class in (0, 1, 2)
        assert params.box.size == cube_size(volume.shape, SMALL.scales[params.scale_class])
        again, params2 = cubes(volume, np.random.default_rng(seed))
        assert params == params2 and np.array_equal(cube, again)


def test_sizes_are_fractions_of_the_side():
    assert cube_size((240, 240, 155), 1 / 2) == (120, 120, 78)
    assert cube_size((240, 240, 155), 1 / 8) == (30, 30, 19)
    assert cube_size((5, 5, 5), 1 / 8) == (1, 1, 1)


def test_frequencies_are_one_one_two(volume):
    rng = np.random.default_rng(0)
    labels = [draw_scale_cube(rng, volume.shape, SMALL).scale_class for _ in range(4000)]
    freq = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(freq, [0.25, 0.25, 0.5], atol=0.03)


def test_single_scale_ablation(volume):
    cfg = ScaleCubeConfig(scales=(1 / 4,), probs=(1.0,), out_shape=(16, 16, 8))
    rng = np.random.default_rng(0)
    assert {draw_scale_cube(rng, volume.shape, cfg).scale_class for _ in range(50)} == {0}


def test_content_comes_from_the_box():
    v = np.zeros((32, 32, 16), dtype=np.float32)
    params = draw_scale_cube(
        np.random.default_rng(3), v.shape, ScaleCubeConfig(out_shape=(16, 16, 8))
    )
    v[params.box.slices] = 1.0
    cube = cut_scale_cube(v, params, ScaleCubeConfig(out_shape=(16, 16, 8)))
    np.testing.assert_allclose(cube, 1.0)


def test_too_small_volume_raises_or_pads():
    v = np.ones((10, 20, 8), dtype=np.float32)
    with pytest.raises(MedsslError, match="smaller than the cube size"):
        RandomScaleCube(SMALL)(v, np.random.default_rng(0))
    padded = ScaleCubeConfig(out_shape=(16, 16, 8), pad=True)
    cube, params = RandomScaleCube(padded)(v, np.random.default_rng(0))
    assert cube.shape == (16, 16, 8)
    assert all(b <= d for b, d in zip(params.box.stop, (16, 20, 8)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scales": (0.5, 0.25), "probs": (1.0,)}, "equal length"),
        ({"scales": (1.5,), "probs": (1.0,)}, "scale"),
        ({"scales": (0.5, 0.25), "probs": (0.5, 0.6)}, "sum to 1"),
        ({"out_shape": (16, 0, 8)}, "out_shape"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(MedsslError, match=match):
        ScaleCubeConfig(**kwargs)

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import Box, crop, draw_box, fit_volume


def test_draw_box_inside_and_deterministic():
    for seed in range(20):
        box = draw_box(np.random.default_rng(seed), (10, 9, 8), (4, 9, 1))
        assert all(0 <= a and b <= d for a, b, d in zip(box.start, box.stop, (10, 9, 8)))
    assert draw_box(np.random.default_rng(1), (10, 9, 8), (4, 4, 4)) == draw_box(
        np.random.default_rng(1), (10, 9, 8), (4, 4, 4)
    )


def test_crop_and_errors():
    v = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    assert np.array_equal(crop(v, Box((1, 0, 2), (2, 4, 3))), v[1:3, :, 2:5])
    with pytest.raises(MedsslError, match="outside"):
        crop(v, Box((2, 0, 0), (2, 1, 1)))
    with pytest.raises(MedsslError, match="does not fit"):
        draw_box(np.random.default_rng(0), (3, 4, 5), (4, 1, 1))


def test_fit_volume_pads_or_raises():
    v = np.ones((3, 8, 8), dtype=np.float32)
    with pytest.raises(MedsslError, match="smaller than the cube size"):
        fit_volume(v, (6, 4, 4), pad=False)
    out = fit_volume(v, (6, 4, 4), pad=True, pad_value=-1.0)
    assert out.shape == (6, 8, 8) and out[0].max() == -1 and out[1:4].min() == 1
    assert fit_volume(v, (2, 2, 2), pad=False) is v

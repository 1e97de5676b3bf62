"""Domain randomisation: reproducible, switchable, recorded, normalised again."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.methods.ld.randomise import PARTS, RandomisationConfig, randomise, thick_slices


def _volume() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, 24)] * 3, indexing="ij"))
    roi = (grid**2).sum(0) < 0.8
    image = np.where(roi, rng.normal(0, 1, roi.shape), 0).astype(np.float32)
    return image, roi


def _zscore(image, roi):
    out = np.zeros_like(image)
    out[roi] = (image[roi] - image[roi].mean()) / image[roi].std()
    return out


def _run(config, seed=3):
    image, roi = _volume()
    return randomise(image, roi, (2.0, 2.0, 2.0), np.random.default_rng(seed), config, _zscore)


def test_same_generator_same_volume_and_parameters():
    config = RandomisationConfig(**{f"p_{p}": 1.0 for p in PARTS})
    (a, pa), (b, pb) = _run(config), _run(config)
    np.testing.assert_array_equal(a, b)
    assert pa == pb and set(pa) == set(PARTS)
    c, _ = _run(config, seed=4)
    assert not np.allclose(a, c)


def test_each_part_can_be_switched_off():
    for part in PARTS:
        config = RandomisationConfig(**{f"p_{p}": 1.0 for p in PARTS}, **{part: False})
        _, params = _run(config)
        assert part not in params and len(params) == len(PARTS) - 1


def test_result_is_normalised_and_zero_outside_the_brain():
    config = RandomisationConfig(**{f"p_{p}": 1.0 for p in PARTS})
    out, _ = _run(config)
    _, roi = _volume()
    assert np.all(out[~roi] == 0)
    assert abs(out[roi].mean()) < 1e-3 and abs(out[roi].std() - 1) < 1e-3


def test_thick_slices_remove_detail_along_one_axis_only():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(16, 16, 32)).astype(np.float32)
    out = thick_slices(image, 2, 4.0)
    assert out.shape == image.shape
    along = np.abs(np.diff(out, axis=2)).mean()
    across = np.abs(np.diff(out, axis=0)).mean()
    assert along < 0.5 * across


def test_options_are_checked():
    assert RandomisationConfig.from_options(None) is None
    assert RandomisationConfig.from_options(True) == RandomisationConfig()
    with pytest.raises(MedsslError, match="unknown randomise option"):
        RandomisationConfig.from_options({"bias": True})
    with pytest.raises(MedsslError, match="apply_to"):
        RandomisationConfig(apply_to="all")
    with pytest.raises(MedsslError, match="p_noise"):
        RandomisationConfig(p_noise=1.5)

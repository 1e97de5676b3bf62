"""Simplex noise: bounded, smooth, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.synthesis import fractal_simplex3, simplex3


def _points(n: int = 20_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-20, 20, size=(n, 3))


def test_bounded_and_not_flat():
    values = simplex3(_points())
    assert np.abs(values).max() <= 1.0
    assert values.std() > 0.2


def test_deterministic_and_offset_changes_it():
    points = _points(1000)
    np.testing.assert_array_equal(simplex3(points), simplex3(points.copy()))
    assert not np.allclose(simplex3(points), simplex3(points + 17.3))


def test_smooth():
    points = _points(2000)
    step = 1e-4
    for axis in range(3):
        delta = np.zeros(3)
        delta[axis] = step
        slope = np.abs(simplex3(points + delta) - simplex3(points)) / step
        assert slope.max() < 20.0


def test_fractal_bounded_and_keeps_shape():
    points = _points(5000).reshape(50, 100, 3)
    for octaves in (1, 4, 7):
        values = fractal_simplex3(points, octaves=octaves)
        assert values.shape == (50, 100)
        assert np.abs(values).max() <= 1.0
    np.testing.assert_allclose(fractal_simplex3(points, octaves=1), simplex3(points))


def test_bad_input():
    with pytest.raises(MedsslError, match="last axis of size 3"):
        simplex3(np.zeros((4, 2)))
    with pytest.raises(MedsslError, match="octaves must be at least 1"):
        fractal_simplex3(np.zeros((4, 3)), octaves=0)

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import BezierParams, RandomBezier, apply_bezier, bezier_lookup


def test_draw_is_deterministic_from_seed():
    a = RandomBezier(p=1.0).draw(np.random.default_rng(3), (8, 8, 8))
    b = RandomBezier(p=1.0).draw(np.random.default_rng(3), (8, 8, 8))
    assert a == b


@pytest.mark.parametrize("seed", range(20))
def test_four_points_in_unit_square_and_monotone(seed):
    params = RandomBezier(p=1.0).draw(np.random.default_rng(seed), (8, 8, 8))
    points = np.asarray(params.points)
    assert points.shape == (4, 2)
    assert points.min() >= 0 and points.max() <= 1
    assert tuple(points[0]) == (0, 0) and tuple(points[3]) == (1, 1)
    xs, ys = bezier_lookup(params)
    assert np.all(np.diff(xs) >= 0)
    steps = np.diff(ys)
    assert np.all(steps <= 0) if params.inverted else np.all(steps >= 0)
    mapped = apply_bezier(
        np.linspace(0, 1, 101, dtype=np.float32).reshape(101, 1, 1), params
    ).ravel()
    assert np.all(np.diff(mapped) <= 1e-6) if params.inverted else np.all(np.diff(mapped) >= -1e-6)
    assert mapped.min() >= 0 and mapped.max() <= 1


def test_identity_curve_and_inverted():
    line = ((0.0, 0.0), (1 / 3, 1 / 3), (2 / 3, 2 / 3), (1.0, 1.0))
    v = np.random.default_rng(0).random((6, 6, 6), dtype=np.float32)
    np.testing.assert_allclose(apply_bezier(v, BezierParams(line, False)), v, atol=1e-3)
    np.testing.assert_allclose(apply_bezier(v, BezierParams(line, True)), 1 - v, atol=1e-3)


def test_probabilities_zero_and_one():
    rng = np.random.default_rng(0)
    v = rng.random((6, 6, 6), dtype=np.float32)
    assert all(RandomBezier(p=0.0).draw(rng, v.shape) is None for _ in range(20))
    assert all(RandomBezier(p=1.0).draw(rng, v.shape) is not None for _ in range(20))
    out, params = RandomBezier(p=0.0)(v, rng)
    assert params is None and np.array_equal(out, v)
    assert all(not RandomBezier(p=1.0, invert_p=0.0).draw(rng, v.shape).inverted for _ in range(10))
    assert all(RandomBezier(p=1.0, invert_p=1.0).draw(rng, v.shape).inverted for _ in range(10))


def test_bad_probability():
    with pytest.raises(MedsslError, match="probability"):
        RandomBezier(p=1.5)


def test_bad_volume():
    params = RandomBezier(p=1.0).draw(np.random.default_rng(0), (4, 4))
    with pytest.raises(MedsslError, match="3D"):
        apply_bezier(np.zeros((4, 4)), params)

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import FlipParams, RandomFlip, flip


def test_deterministic_and_self_inverse():
    v = np.random.default_rng(0).random((6, 5, 4), dtype=np.float32)
    a, pa = RandomFlip(p=1.0)(v, np.random.default_rng(2))
    b, pb = RandomFlip(p=1.0)(v, np.random.default_rng(2))
    assert pa == pb and np.array_equal(a, b)
    assert np.array_equal(flip(a, pa), v)


def test_probabilities_zero_and_one():
    rng = np.random.default_rng(0)
    assert all(RandomFlip(p=0.0).draw(rng, (4, 4, 4)) is None for _ in range(10))
    draws = [RandomFlip(p=1.0).draw(rng, (4, 4, 4)) for _ in range(10)]
    assert all(len(d.axes) == 3 and d.net_axes for d in draws)


def test_net_axes():
    v = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert np.array_equal(flip(v, FlipParams((1, 1))), v)
    assert np.array_equal(flip(v, FlipParams((0, 2, 2))), v[::-1])


def test_bad_axis():
    with pytest.raises(MedsslError, match="Axis must be 0, 1 or 2; got 5"):
        flip(np.zeros((2, 2, 2)), FlipParams((5,)))

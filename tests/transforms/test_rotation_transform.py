import itertools

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import (
    N_ROTATIONS,
    RandomRotation,
    RotationParams,
    draw_rotation,
    rotate,
    unrotate,
)


@pytest.fixture
def cube():
    return np.random.default_rng(0).random((6, 6, 6), dtype=np.float32)


def test_ten_distinct_invertible_rotations(cube):
    assert N_ROTATIONS == 10
    outs = [rotate(cube, RotationParams(k)) for k in range(N_ROTATIONS)]
    assert np.array_equal(outs[0], cube)
    for a, b in itertools.combinations(range(N_ROTATIONS), 2):
        assert not np.array_equal(outs[a], outs[b]), (a, b)
    for k, out in enumerate(outs):
        assert np.array_equal(unrotate(out, RotationParams(k)), cube)


def test_rotations_are_rigid(cube):
    for k in range(N_ROTATIONS):
        assert np.array_equal(
            np.sort(rotate(cube, RotationParams(k)).ravel()), np.sort(cube.ravel())
        )


def test_draw_deterministic_and_uniform():
    assert draw_rotation(np.random.default_rng(4)) == draw_rotation(np.random.default_rng(4))
    rng = np.random.default_rng(0)
    counts = np.bincount([draw_rotation(rng).label for _ in range(3000)], minlength=10)
    assert counts.min() > 220
    out, params = RandomRotation()(np.ones((4, 4, 4)), np.random.default_rng(0))
    assert out.shape == (4, 4, 4) and 0 <= params.label < 10


def test_errors():
    with pytest.raises(MedsslError, match="0..9"):
        rotate(np.zeros((4, 4, 4)), RotationParams(10))
    with pytest.raises(MedsslError, match="equal sides"):
        rotate(np.zeros((4, 4, 2)), RotationParams(1))

"""Resample: target spacing, nearest for labels, identity when already there."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import Resample
from medssl.preprocess.step import State


def test_reaches_target_spacing_and_keeps_direction(oriented):
    image, label = oriented
    state, record = Resample(spacing=0.75).apply(
        State(image.array, image.geometry.affine, label.array)
    )
    np.testing.assert_allclose(state.spacing, 0.75, atol=1e-6)
    direction = image.geometry.direction
    np.testing.assert_allclose(state.affine[:3, :3] / 0.75, direction, atol=1e-6)
    assert set(np.unique(state.label)) <= {0, 1}
    assert state.label.dtype == label.array.dtype
    assert record["out_shape"] == list(state.image.shape)


def test_same_spacing_is_identity(ras_case):
    image, label = ras_case
    state, _ = Resample(spacing=1.0).apply(State(image.array, image.geometry.affine, label.array))
    assert state.image is image.array


def test_invert_returns_input_shape(oriented):
    image, label = oriented
    state, record = Resample(spacing=(0.6, 0.6, 1.0)).apply(
        State(image.array, image.geometry.affine, label.array)
    )
    back = Resample.invert(state.label, record, is_label=True)
    assert back.shape == label.array.shape
    assert (back == label.array).mean() > 0.99


@pytest.mark.parametrize("spacing", [0, -1.0, (1.0, 2.0), float("nan")])
def test_bad_spacing(spacing):
    with pytest.raises(MedsslError, match="spacing must be one or three positive"):
        Resample(spacing=spacing)

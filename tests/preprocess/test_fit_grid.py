"""Pad, resize or fit to the network grid, and back."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import FitGrid
from medssl.preprocess.step import State


@pytest.mark.parametrize("mode", ["pad", "resize", "fit"])
def test_every_mode_reaches_grid_and_inverts(ras_case, mode):
    image, label = ras_case
    step = FitGrid(size=(32, 16, 32), mode=mode)
    state, record = step.apply(State(image.array, image.geometry.affine, label.array))
    assert state.image.shape == state.label.shape == (32, 16, 32)
    back = FitGrid.invert(state.label, record, is_label=True)
    assert back.shape == label.array.shape
    if mode == "fit":  # one scale factor on every axis
        spacing = np.linalg.norm(state.affine[:3, :3], axis=0)
        assert np.ptp(spacing) < 0.1


def test_pad_is_exact_and_centred(ras_case):
    image, label = ras_case
    state, record = FitGrid(size=32, mode="pad", pad_value=-1).apply(
        State(image.array, image.geometry.affine, label.array)
    )
    assert record["offset"] == [4, 6, 8]
    assert state.image[0, 0, 0] == -1 and state.label[0, 0, 0] == 0
    np.testing.assert_allclose(state.affine[:3, 3], [-4, -6, -8])
    np.testing.assert_array_equal(FitGrid.invert(state.label, record, is_label=True), label.array)


def test_pad_crops_axes_that_are_too_long(ras_case):
    image, label = ras_case  # shape (24, 20, 16)
    state, record = FitGrid(size=(16, 16, 16), mode="pad").apply(
        State(image.array, image.geometry.affine, label.array)
    )
    np.testing.assert_array_equal(state.image, image.array[4:20, 2:18, :])
    back = FitGrid.invert(state.image, record, is_label=False)
    assert back[0].sum() == 0 and back.shape == image.array.shape


@pytest.mark.parametrize("size", [0, (32, 32), 1.5])
def test_bad_size(size):
    with pytest.raises(MedsslError, match="grid size must be"):
        FitGrid(size=size)


def test_bad_mode():
    with pytest.raises(MedsslError, match="mode must be one of"):
        FitGrid(mode="stretch")

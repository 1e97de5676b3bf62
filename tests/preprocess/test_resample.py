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


def test_antialias_low_passes_only_the_axes_made_coarser():
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 20.0, (120, 120, 12)).astype(np.float32)
    mask = (rng.random(noise.shape) > 0.5).astype(np.uint8)
    affine = np.diag([0.8, 0.8, 5.0, 1.0])
    plain, _ = Resample(spacing=2.0).apply(State(image=noise, affine=affine, roi=mask))
    smooth, record = Resample(spacing=2.0, antialias=True).apply(
        State(image=noise, affine=affine, roi=mask)
    )
    assert record["antialias_sigma"] == pytest.approx([0.75, 0.75, 0.0])
    assert smooth.image.shape == plain.image.shape and smooth.image.std() < 0.7 * plain.image.std()
    np.testing.assert_array_equal(smooth.roi, plain.roi)  # masks are never filtered
    finer, record = Resample(spacing=0.5, antialias=True).apply(State(image=noise, affine=affine))
    unfiltered, _ = Resample(spacing=0.5).apply(State(image=noise, affine=affine))
    assert "antialias_sigma" not in record
    np.testing.assert_array_equal(finer.image, unfiltered.image)

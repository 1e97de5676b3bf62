"""Texture τ = LT(GB(ED(x_nj))): each switch does what it says."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage
from synthesis_helpers import SPACING

from medssl.synthesis import apply_params, brain, sample_params, sample_rng
from medssl.synthesis.texture import BLUR_TRUNCATE, linear_intensity, trilinear

SMALL = {"volume_range_mm3": (4_000.0, 12_000.0)}


def _sample(head, *, shift=(0, 0, 0), **switches):
    normal, other, roi = head
    params = sample_params(sample_rng(0, 5), roi, SPACING, brain(**SMALL, **switches))
    params = replace(params, texture=replace(params.texture, source_shift=shift))
    return params, apply_params(normal, other, roi, params)


def test_lt_only_is_the_paper_formula(head):
    normal, other, roi = head
    normal, other = normal + 10.0, other + 10.0  # positive, so floor 0 is the paper's LT
    params, sample = _sample((normal, other, roi), elastic=False, blur=False, intensity_floor=0.0)
    m = sample.mask > 0
    r = params.texture.intensity_ratio
    expected = r * normal[roi].mean() / other[m].mean() * other[m]
    np.testing.assert_allclose(sample.texture[m], expected, rtol=1e-5)
    assert sample.texture[m].mean() == pytest.approx(r * normal[roi].mean(), rel=1e-5)
    assert not sample.texture[~m].any()


def test_all_off_copies_other(head):
    _, other, _ = head
    _, sample = _sample(head, elastic=False, blur=False, intensity=False)
    m = sample.mask > 0
    np.testing.assert_array_equal(sample.texture[m], other[m])


def test_blur_only_is_a_gaussian_filter(head):
    _, other, _ = head
    params, sample = _sample(head, elastic=False, blur=True, intensity=False)
    sigma = params.texture.blur_sigma_mm / np.asarray(SPACING)
    blurred = ndimage.gaussian_filter(other, sigma, mode="nearest", truncate=BLUR_TRUNCATE)
    m = sample.mask > 0
    np.testing.assert_allclose(sample.texture[m], blurred[m], atol=1e-5)


def test_elastic_only_moves_texture(head):
    _, other, _ = head
    _, sample = _sample(head, elastic=True, blur=False, intensity=False)
    m = sample.mask > 0
    assert not np.allclose(sample.texture[m], other[m], atol=1e-3)
    assert np.corrcoef(sample.texture[m], other[m])[0, 1] > 0.3


def test_switches_keep_shape_and_draws(head):
    full, _ = _sample(head)
    params, _ = _sample(head, elastic=False, blur=False, intensity=False)
    assert params.shapes == full.shapes
    assert params.alpha == full.alpha
    assert params.texture.intensity_ratio == full.texture.intensity_ratio


def test_source_shift_reads_elsewhere(head):
    _, other, _ = head
    _, sample = _sample(head, shift=(2, -1, 0), elastic=False, blur=False, intensity=False)
    m = sample.mask > 0
    np.testing.assert_array_equal(sample.texture[m], np.roll(other, (-2, 1, 0), axis=(0, 1, 2))[m])


def test_lt_measures_from_each_floor():
    values = np.array([[[0.0, 1.0, 2.0, 3.0]]], dtype=np.float32)
    mask = np.ones_like(values, dtype=bool)
    out = linear_intensity(values, mask, 2.0, organ_mean=1.0, organ_floor=-1.0, texture_floor=0.0)
    # Mean of (values - 0) is 1.5; target mean above the organ floor is 2 * (1 - (-1)) = 4.
    np.testing.assert_allclose(out, -1.0 + 4.0 / 1.5 * values)
    flat = linear_intensity(values, mask, 2.0, organ_mean=1.0, organ_floor=-1.0, texture_floor=5.0)
    np.testing.assert_allclose(flat, 3.0)


def test_trilinear_is_exact_on_linear_functions():
    grid = np.indices((6, 7, 8)).astype(np.float32)
    volume = 2 * grid[0] - grid[1] + 0.5 * grid[2]
    rng = np.random.default_rng(0)
    coords = [rng.uniform(0, n - 1, size=50).astype(np.float32) for n in volume.shape]
    expected = 2 * coords[0] - coords[1] + 0.5 * coords[2]
    np.testing.assert_allclose(trilinear(volume, coords), expected, atol=1e-4)
    integer = [c.round() for c in coords]
    idx = tuple(c.astype(int) for c in integer)
    np.testing.assert_array_equal(trilinear(volume, integer), volume[idx])

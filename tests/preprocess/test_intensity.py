"""CT window and MRI z-score presets."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import CTWindow, ZScore
from medssl.preprocess.step import State


def _state(array, roi=None):
    return State(
        np.asarray(array, dtype=np.float32),
        np.eye(4),
        roi=roi,
        source="x.nii.gz",
        roi_source="roi.nii.gz",
    )


@pytest.mark.parametrize("out_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_ct_window_clips_and_scales(out_range):
    hu = np.array([-1000, -175, 37.5, 250, 3000], dtype=np.float32).reshape(5, 1, 1)
    state, record = CTWindow(low=-175, high=250, out_range=out_range).apply(_state(hu))
    lo, hi = out_range
    np.testing.assert_allclose(state.image.ravel(), [lo, lo, (lo + hi) / 2, hi, hi], atol=1e-6)
    assert state.image.dtype == np.float32
    assert record["low"] == -175.0


def test_ct_window_bad_order():
    with pytest.raises(MedsslError, match="low < high"):
        CTWindow(low=100, high=-100)


def test_zscore_nonzero_keeps_zero_outside(rng):
    image = np.zeros((10, 10, 10), np.float32)
    image[2:8, 2:8, 2:8] = rng.normal(100, 20, size=(6, 6, 6))
    state, record = ZScore(mask="nonzero", percentiles=(0, 100)).apply(_state(image))
    inside = state.image[2:8, 2:8, 2:8]
    assert abs(inside.mean()) < 1e-4 and abs(inside.std() - 1) < 1e-3
    assert np.count_nonzero(state.image) == np.count_nonzero(image)
    assert record["std"] > 0


def test_zscore_above_min_and_roi(rng):
    image = np.full((8, 8, 8), -3.0, np.float32)
    image[2:6, 2:6, 2:6] = rng.normal(0, 1, size=(4, 4, 4))
    state, _ = ZScore(mask="above_min").apply(_state(image))
    assert state.image[0, 0, 0] == 0
    roi = np.zeros((8, 8, 8), np.uint8)
    roi[1:7, 1:7, 1:7] = 1
    state, _ = ZScore(mask="roi").apply(_state(image, roi))
    assert state.image[0, 0, 0] == 0 and state.image[1, 1, 1] != 0


def test_zscore_empty_mask_names_file():
    with pytest.raises(MedsslError, match=r"selects no voxels in x\.nii\.gz"):
        ZScore(mask="nonzero").apply(_state(np.zeros((4, 4, 4))))


def test_zscore_roi_needs_roi():
    with pytest.raises(MedsslError, match="needs an ROI"):
        ZScore(mask="roi").apply(_state(np.ones((4, 4, 4))))


def test_zscore_bad_options():
    with pytest.raises(MedsslError, match="mask must be one of"):
        ZScore(mask="brain")
    with pytest.raises(MedsslError, match="percentiles must satisfy"):
        ZScore(percentiles=(99, 1))

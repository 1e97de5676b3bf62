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


def _liver_ct(seed=0, scale=1.0, offset=0.0):
    """Fat around a noisy liver (ROI) with a darker lesion, in HU, optionally re-scaled."""
    rng = np.random.default_rng(seed)
    image = np.full((12, 12, 12), -100.0, np.float32)
    image[2:10, 2:10, 2:10] = rng.normal(110.0, 15.0, size=(8, 8, 8))
    image[4:6, 4:6, 4:6] = 60.0
    roi = np.zeros(image.shape, np.uint8)
    roi[2:10, 2:10, 2:10] = 1
    return image * np.float32(scale) + np.float32(offset), roi


def test_organ_window_brings_the_organ_median_and_iqr_to_the_reference():
    from medssl.preprocess import OrganWindow

    image, roi = _liver_ct()
    step = OrganWindow(centre=100.0, spread=17.0, low=-175.0, high=250.0, out_range=(0.0, 1.0))
    state, record = step.apply(_state(image, roi))
    hu = state.image * 425.0 - 175.0  # back to the window's HU
    q25, median, q75 = np.percentile(hu[roi > 0], [25, 50, 75])
    assert median == pytest.approx(100.0, abs=0.5) and q75 - q25 == pytest.approx(17.0, abs=0.5)
    assert record["median"] == pytest.approx(np.median(image[roi > 0]), abs=1e-3)
    assert hu[4, 4, 4] < median - 2 * 17.0  # the lesion stays darker than the organ


def test_organ_window_is_blind_to_the_organs_phase_and_scale():
    """Another contrast phase or noise scale of the same scan (a linear HU map) reads the same."""
    from medssl.preprocess import OrganWindow

    image, roi = _liver_ct()
    moved, _ = _liver_ct(scale=1.3, offset=-45.0)
    a = OrganWindow().apply(_state(image, roi))[0].image
    b = OrganWindow().apply(_state(moved, roi))[0].image
    inside = roi > 0
    np.testing.assert_allclose(a[inside], b[inside], atol=1e-4)
    plain = CTWindow().apply(_state(moved))[0].image
    assert np.abs(plain[inside] - CTWindow().apply(_state(image))[0].image[inside]).max() > 0.05


def test_organ_window_needs_a_non_empty_organ():
    from medssl.preprocess import OrganWindow

    image, roi = _liver_ct()
    with pytest.raises(MedsslError, match="--roi or --roi-from-transfer"):
        OrganWindow().apply(_state(image))
    with pytest.raises(MedsslError, match="roi.nii.gz is empty"):
        OrganWindow().apply(_state(image, np.zeros_like(roi)))
    with pytest.raises(MedsslError, match="spread must be > 0"):
        OrganWindow(spread=0.0)

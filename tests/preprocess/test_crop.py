"""Crop to foreground or ROI with a margin; the inverse pastes back with zeros."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import Crop
from medssl.preprocess.step import State


def _state(image, roi=None, spacing=1.0):
    affine = np.diag([spacing, spacing, spacing, 1.0])
    return State(
        image.astype(np.float32),
        affine,
        label=(image > 0).astype(np.uint8),
        roi=roi,
        source="img.nii.gz",
        roi_source="roi.nii.gz",
    )


def test_crop_to_foreground_with_margin_in_mm():
    image = np.zeros((20, 20, 20))
    image[5:10, 6:12, 7:9] = 1
    state, record = Crop(margin_mm=4.0).apply(_state(image, spacing=2.0))
    assert record["start"] == [3, 4, 5] and record["stop"] == [12, 14, 11]
    np.testing.assert_allclose(state.affine[:3, 3], [6.0, 8.0, 10.0])
    back = Crop.invert(state.label, record, is_label=True)
    np.testing.assert_array_equal(back, image > 0)


def test_crop_to_roi_labels():
    image = np.ones((16, 16, 16))
    roi = np.zeros((16, 16, 16), np.uint8)
    roi[2:4, 2:4, 2:4] = 1
    roi[8:12, 9:11, 10:13] = 5
    state, record = Crop(source="roi", roi_labels=[5]).apply(_state(image, roi))
    assert state.image.shape == (4, 2, 3)
    assert record["start"] == [8, 9, 10]


def test_threshold_min_ignores_constant_background():
    image = np.full((10, 10, 10), -3.0)
    image[4:6, 4:6, 4:6] = 1.0
    state, _ = Crop(threshold="min").apply(_state(image))
    assert state.image.shape == (2, 2, 2)


def test_no_foreground_names_file():
    with pytest.raises(MedsslError, match=r"no nonzero voxels in img\.nii\.gz"):
        Crop().apply(_state(np.zeros((4, 4, 4))))


def test_empty_roi_names_file():
    roi = np.zeros((4, 4, 4), np.uint8)
    roi[0, 0, 0] = 1
    with pytest.raises(MedsslError, match=r"ROI mask is empty.*\[5\] in roi\.nii\.gz"):
        Crop(source="roi", roi_labels=[5]).apply(_state(np.ones((4, 4, 4)), roi))


def test_roi_source_without_roi():
    with pytest.raises(MedsslError, match="needs an ROI mask"):
        Crop(source="roi").apply(_state(np.ones((4, 4, 4))))


def test_bad_options():
    with pytest.raises(MedsslError, match="source must be one of"):
        Crop(source="label")
    with pytest.raises(MedsslError, match="margin_mm must be >= 0"):
        Crop(margin_mm=-1)

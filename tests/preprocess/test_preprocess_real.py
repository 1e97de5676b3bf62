"""Round trips on real scans: preprocess, invert the label, get the label back.

These read ../shared/data and skip when it is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from medssl.io import read_image, read_label
from medssl.preprocess import Pipeline, preset


def _dice_per_class(a: np.ndarray, b: np.ndarray) -> dict[int, float]:
    out = {}
    for value in np.unique(b[b > 0]):
        x, y = a == value, b == value
        out[int(value)] = float(2 * (x & y).sum() / (x.sum() + y.sum()))
    return out


def test_brats_flair_label_round_trip_exact(shared_data):
    case = shared_data / "brats_dev" / "brats_2013_pat0003_1"
    image, label = read_image(case / "flair.nii.gz"), read_label(case / "label.nii.gz")
    pipe = preset("brain_flair", target_spacing=1.0, grid=(160, 176, 144), mode="pad")
    sample = pipe.apply(image, label=label)
    assert sample.image.shape == (160, 176, 144)
    assert sample.image[0, 0, 0] == 0  # background (a constant in the file) becomes 0
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    np.testing.assert_array_equal(back, label.array)
    assert sample.source_geometry.matches(image.geometry, atol=1e-4)  # LPS file


def test_spleen_ct_finer_spacing_round_trip(shared_data):
    folder = shared_data / "body" / "spleen_8"
    image, label = read_image(folder / "image.nii.gz"), read_label(folder / "label.nii.gz")
    sx, sy, _ = image.geometry.spacing
    pipe = preset(
        "ct_liver",
        roi_labels=(1,),
        margin_mm=10.0,
        target_spacing=(sx, sy, 2.5),
        grid=(192, 224, 80),
        mode="pad",
    )
    sample = pipe.apply(image, label=label, roi=label)
    assert 0.0 <= sample.image.min() and sample.image.max() <= 1.0
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    assert back.shape == image.geometry.shape
    assert _dice_per_class(back, label.array)[1] > 0.999


def test_totalseg_mr_multiclass_round_trip(shared_data):
    folder = shared_data / "body" / "totalseg_mr"
    image = read_image(folder / "mr.nii.gz")
    label = read_label(folder / "seg_predicted.nii.gz")
    pipe = preset("mri", target_spacing=1.5, grid=(240, 192, 48), mode="pad")
    sample = pipe.apply(image, label=label)
    np.testing.assert_allclose(sample.spacing, 1.5, atol=1e-6)
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    assert min(_dice_per_class(back, label.array).values()) > 0.999
    assert sample.source_geometry.matches(image.geometry)


def test_totalseg_ct_liver_crop_round_trip(shared_data):
    folder = shared_data / "body" / "totalseg_ct"
    image = read_image(folder / "ct.nii.gz")
    organs = read_label(folder / "seg_predicted.nii.gz")
    pipe = preset("ct_liver", target_spacing=3.0, grid=96, mode="pad", margin_mm=6.0)
    sample = pipe.apply(image, label=organs, roi=organs)
    assert sample.image.shape == (96, 96, 96)
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    liver = organs.array == 5
    np.testing.assert_array_equal(back == 5, liver)
    crop = next(r for r in sample.record if r["step"] == "crop")
    box = tuple(slice(a, b) for a, b in zip(crop["start"], crop["stop"], strict=True))
    np.testing.assert_array_equal(back[box], organs.array[box])


@pytest.mark.slow
def test_all_brats_cases_round_trip(shared_data):
    for case in sorted((shared_data / "brats_dev").glob("brats_*")):
        image, label = read_image(case / "flair.nii.gz"), read_label(case / "label.nii.gz")
        sample = preset("brain_flair", grid=128).apply(image, label=label)
        back = Pipeline.invert(sample.label, sample.record, is_label=True)
        assert _dice_per_class(back > 0, label.array > 0)[1] > 0.95

"""Pipeline: apply then invert lands exactly on the input grid, in any orientation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.io import Geometry, Image
from medssl.preprocess import (
    Crop,
    FitGrid,
    Pipeline,
    Reorient,
    Resample,
    ZScore,
    preset,
    source_geometry,
)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    return float(2 * (a & b).sum() / max(a.sum() + b.sum(), 1))


def _pipeline(spacing: float, mode: str = "pad") -> Pipeline:
    return Pipeline(
        [
            Reorient(),
            Crop(margin_mm=2.0),
            ZScore(),
            Resample(spacing=spacing),
            FitGrid(size=32, mode=mode),
        ]
    )


def test_label_round_trip_exact_at_same_spacing(oriented):
    image, label = oriented
    pipe = Pipeline([Reorient(), Crop(source="roi", margin_mm=2.0), FitGrid(size=32, mode="pad")])
    sample = pipe.apply(image, label=label, roi=label)
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    np.testing.assert_array_equal(back, label.array)
    assert sample.source_geometry.matches(image.geometry, atol=1e-4)


def test_label_round_trip_finer_spacing(oriented):
    image, label = oriented
    sample = _pipeline(spacing=0.5, mode="fit").apply(image, label=label)
    assert sample.image.shape == (32, 32, 32) and sample.image.dtype == np.float32
    back = Pipeline.invert(sample.label, sample.record, is_label=True)
    assert back.shape == label.array.shape
    assert dice(back, label.array) > 0.9
    assert source_geometry(sample.record).matches(image.geometry)


def test_probabilities_invert_linearly_per_channel(oriented):
    image, label = oriented
    sample = _pipeline(spacing=1.0).apply(image, label=label)
    probs = np.stack([1.0 - sample.label, sample.label]).astype(np.float32)
    back = Pipeline.invert(probs, sample.record, is_label=False)
    assert back.shape == (2, *label.array.shape) and back.dtype == np.float32
    assert dice(back[1] > 0.5, label.array) > 0.95


def test_record_is_json_and_sample_geometry(ras_case):
    image, label = ras_case
    sample = _pipeline(spacing=1.0).apply(image, label=label)
    record = json.loads(json.dumps(sample.record))
    back = Pipeline.invert(sample.label, record, is_label=True)
    np.testing.assert_array_equal(back, label.array)
    assert sample.geometry.shape == (32, 32, 32)
    np.testing.assert_allclose(sample.spacing, 1.0)


def test_config_round_trip_and_hash():
    pipe = preset("ct_liver", target_spacing=2.0, grid=64)
    config = json.loads(json.dumps(pipe.to_config()))
    again = Pipeline.from_config(config)
    assert again.to_config() == pipe.to_config()
    assert again.config_hash() == pipe.config_hash()
    assert preset("ct_liver", grid=96).config_hash() != pipe.config_hash()
    assert (
        Pipeline.from_config({"preset": "ct_liver", "target_spacing": 2.0, "grid": 64}).to_config()
        == pipe.to_config()
    )


@pytest.mark.parametrize("name", ["ct", "ct_liver", "mri", "brain_flair"])
def test_presets_build(name):
    assert isinstance(preset(name, grid=32), Pipeline)


def test_unknown_preset_lists_valid_names():
    with pytest.raises(MedsslError, match="unknown preprocessing preset 'lung'.*brain_flair"):
        preset("lung")


def test_bad_config():
    with pytest.raises(MedsslError, match="needs a 'steps' list"):
        Pipeline.from_config({"stages": []})
    with pytest.raises(MedsslError, match="unknown option.*'resample'"):
        Pipeline.from_config({"steps": [{"name": "resample", "size": 3}]})
    with pytest.raises(MedsslError, match="unknown preprocessing step 'blur'"):
        Pipeline.from_config({"steps": [{"name": "blur"}]})


def test_nan_image_names_file(ras_case):
    image, _ = ras_case
    array = image.array.copy()
    array[1, 2, 3] = np.nan
    with pytest.raises(MedsslError, match=r"finite; found 1 NaN or Inf voxels in ras\.nii\.gz"):
        Pipeline([Reorient()]).apply(Image(array, image.geometry))


def test_label_shape_mismatch_names_both_files(ras_case):
    image, _ = ras_case
    other = Image(np.zeros((24, 20, 15), np.uint8), Geometry((24, 20, 15), np.eye(4), "lab.nii.gz"))
    with pytest.raises(
        MedsslError, match=r"label does not match image: shapes differ.*ras\.nii\.gz.*lab"
    ):
        Pipeline([Reorient()]).apply(image, label=other)


def test_roi_affine_mismatch_names_both_files(ras_case):
    image, label = ras_case
    shifted = np.eye(4)
    shifted[0, 3] = 0.5
    roi = Image(label.array, Geometry(label.array.shape, shifted, "roi.nii.gz"))
    with pytest.raises(
        MedsslError, match=r"ROI does not match image: affines differ.*roi\.nii\.gz"
    ):
        Pipeline([Reorient()]).apply(image, roi=roi)


def test_empty_roi_in_pipeline(ras_case):
    image, label = ras_case
    with pytest.raises(MedsslError, match=r"ROI mask is empty.*ras\.nii\.gz"):
        preset("ct_liver", grid=32).apply(image, roi=label)


def test_invert_wrong_shape(ras_case):
    image, _ = ras_case
    sample = _pipeline(spacing=1.0).apply(image)
    with pytest.raises(MedsslError, match=r"spatial shape \(32, 32, 32\)"):
        Pipeline.invert(np.zeros((16, 16, 16)), sample.record, is_label=True)
    with pytest.raises(MedsslError, match="must start with an 'input' entry"):
        Pipeline.invert(np.zeros((32, 32, 32)), sample.record[1:], is_label=True)

"""N4 bias-field correction: removes a smooth field, keeps the grid and the outside, checks options."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.inference.ld import with_bias_correction
from medssl.methods.ld.presets import ld_preset
from medssl.methods.ld.randomise import bias_field
from medssl.preprocess import BiasCorrect, State, step_from_config


def _brain(shape=(36, 36, 30), seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two tissues (an inner and an outer shell) in an ellipsoid, with a little noise."""
    rng = np.random.default_rng(seed)
    idx = np.indices(shape, dtype=np.float32)
    r = np.sqrt(sum(((i - (n - 1) / 2) / (n / 2.3)) ** 2 for i, n in zip(idx, shape)))
    roi = (r < 1.0).astype(np.uint8)
    image = np.where(r < 0.6, 300.0, 200.0) + rng.normal(0, 5.0, shape)
    return np.where(roi > 0, image, 0.0).astype(np.float32), roi


def _tissue_spread(image: np.ndarray, roi: np.ndarray) -> float:
    """Mean coefficient of variation of the two tissues (a field widens both)."""
    idx = np.indices(image.shape, dtype=np.float32)
    r = np.sqrt(sum(((i - (n - 1) / 2) / (n / 2.3)) ** 2 for i, n in zip(idx, image.shape)))
    inner, outer = (r < 0.5) & (roi > 0), (r > 0.7) & (roi > 0)
    return float(np.mean([image[t].std() / image[t].mean() for t in (inner, outer)]))


def test_n4_removes_most_of_a_smooth_multiplicative_field():
    image, roi = _brain()
    field = bias_field(image.shape, np.random.default_rng(3), 4, 0.4)
    biased = np.where(roi > 0, image * field, 0).astype(np.float32)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    step = BiasCorrect(shrink_mm=4.0, iterations=(50, 50))
    out, record = step.apply(State(image=biased, affine=affine, roi=roi))
    before, after, clean = (_tissue_spread(a, roi) for a in (biased, out.image, image))
    assert after < clean + 0.5 * (before - clean)  # at least half of the added spread is gone
    assert out.image.shape == image.shape and np.array_equal(out.affine, affine)
    assert np.all(out.image[roi == 0] == biased[roi == 0])
    assert record["step"] == "bias_correct" and record["field_p1"] < record["field_p99"]


def test_n4_leaves_an_unbiased_image_nearly_unchanged():
    image, roi = _brain(seed=1)
    out, _ = BiasCorrect(iterations=(50, 50)).apply(State(image=image, affine=np.eye(4), roi=roi))
    inside = roi > 0
    assert np.corrcoef(out.image[inside], image[inside])[0, 1] > 0.98


@pytest.mark.parametrize(
    "options, text",
    [
        ({"mask": "brain"}, "mask must be one of"),
        ({"shrink_mm": 0}, "shrink_mm must be > 0"),
        ({"iterations": []}, "iterations must be positive"),
        ({"iterations": [50, 0]}, "iterations must be positive"),
        ({"control_points": 3}, "control_points must be >= 4"),
        ({"outlier_fence": -1}, "outlier_fence must be >= 0"),
    ],
)
def test_bad_options_are_refused(options, text):
    with pytest.raises(MedsslError, match=text):
        step_from_config({"name": "bias_correct", **options})


def test_roi_mask_without_roi_names_the_file():
    image, _ = _brain()
    with pytest.raises(MedsslError, match="needs an ROI for scan.nii.gz"):
        BiasCorrect().apply(State(image=image, affine=np.eye(4), source="scan.nii.gz"))


def test_bias_correction_goes_just_before_the_normalisation():
    preset = ld_preset("brain_flair", normalisation="robust_interior")
    names = [s["name"] for s in with_bias_correction(preset, "n4")]
    assert names.index("bias_correct") + 1 == names.index("robust_scale")
    assert names.count("bias_correct") == 1
    again = type(preset).from_dict(
        preset.to_dict() | {"infer_steps": with_bias_correction(preset, "n4")}
    )
    assert [s["name"] for s in with_bias_correction(again, None)] == names  # stored: kept
    assert "bias_correct" not in [s["name"] for s in with_bias_correction(again, "none")]
    custom = with_bias_correction(preset, {"name": "bias_correct", "iterations": [50]})
    assert {"name": "bias_correct", "iterations": [50]} in custom


def test_bias_correction_refuses_ct_and_unknown_choices():
    with pytest.raises(MedsslError, match="for MRI models"):
        with_bias_correction(ld_preset("liver_ct"), "n4")
    with pytest.raises(MedsslError, match="must be one of n4, none"):
        with_bias_correction(ld_preset("brain_flair"), "N4-ish")
    with pytest.raises(MedsslError, match="must be named 'bias_correct'"):
        with_bias_correction(ld_preset("brain_flair"), {"name": "zscore"})


def test_outlier_fence_keeps_a_large_bright_lesion_out_of_the_field():
    image, roi = _brain(seed=2)
    idx = np.indices(image.shape)
    lesion = (((idx[0] - 10) ** 2 + (idx[1] - 18) ** 2 + (idx[2] - 15) ** 2) < 36) & (roi > 0)
    image = np.where(lesion, 600.0, image).astype(np.float32)
    state = State(image=image, affine=np.diag([2.0, 2.0, 2.0, 1.0]), roi=roi)
    contrast = {}
    for fence in (0.0, 1.5):
        step = BiasCorrect(shrink_mm=2.0, iterations=(50, 50, 50), outlier_fence=fence)
        out, record = step.apply(state)
        contrast[fence] = out.image[lesion].mean() / out.image[(roi > 0) & ~lesion].mean()
    assert record["excluded"] > 0.5 * lesion.sum() / roi.sum()
    original = image[lesion].mean() / image[(roi > 0) & ~lesion].mean()
    assert abs(contrast[1.5] - original) < abs(contrast[0.0] - original)

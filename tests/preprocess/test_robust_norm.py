"""Scanner-independent normalisations: invariance to raw units, landmarks, bad options."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import HistogramStandardise, PercentileScale, RobustScale, State
from medssl.preprocess.robust_norm import PERCENTILES, train_landmarks


def _brain(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    roi = np.zeros((20, 20, 20), np.uint8)
    roi[3:17, 3:17, 3:17] = 1
    image = np.where(roi > 0, rng.gamma(4.0, 25.0, roi.shape), 0.0).astype(np.float32)
    return image, roi


@pytest.mark.parametrize(
    "step", [RobustScale(), PercentileScale(), HistogramStandardise(landmarks=tuple(range(11)))]
)
def test_affine_raw_units_give_the_same_normalised_image(step):
    image, roi = _brain()
    a = step.apply(State(image=image, affine=np.eye(4), roi=roi))[0].image
    raw = np.where(roi > 0, image * 7.3 + 410.0, 0.0).astype(np.float32)
    b = step.apply(State(image=raw, affine=np.eye(4), roi=roi))[0].image
    np.testing.assert_allclose(a, b, atol=1e-3)
    assert np.all(a[roi == 0] == 0)


def test_robust_scale_has_median_zero_and_unit_iqr_in_the_mask():
    image, roi = _brain(1)
    out = RobustScale().apply(State(image=image, affine=np.eye(4), roi=roi))[0].image[roi > 0]
    q25, q50, q75 = np.percentile(out, [25, 50, 75])
    assert abs(q50) < 1e-4 and abs((q75 - q25) - 1.0) < 1e-4


def test_histogram_standardise_maps_the_percentiles_onto_the_landmarks():
    images, rois = zip(*[_brain(s) for s in range(3)])
    marks = train_landmarks(list(images), list(rois))
    assert len(marks) == len(PERCENTILES) and np.all(np.diff(marks) > 0)
    step = HistogramStandardise(landmarks=tuple(marks))
    out = step.apply(State(image=images[0], affine=np.eye(4), roi=rois[0]))[0].image
    got = np.percentile(out[rois[0] > 0], PERCENTILES)
    np.testing.assert_allclose(got, marks, atol=0.05 * (marks[-1] - marks[0]))


def test_bad_landmarks_and_percentiles_are_refused():
    with pytest.raises(MedsslError, match="increasing landmarks"):
        HistogramStandardise(landmarks=(3.0, 2.0))
    with pytest.raises(MedsslError, match="percentiles"):
        PercentileScale(percentiles=(99.0, 1.0))
    with pytest.raises(MedsslError, match="needs an ROI"):
        RobustScale().apply(State(image=np.ones((4, 4, 4), np.float32), affine=np.eye(4)))


def _thick_slices_after_stripping(image: np.ndarray, roi: np.ndarray) -> tuple:
    """Average slabs of 4 slices of a skull-stripped image: the background enters the edge."""
    thick = sum(image[:, :, k::4] for k in range(4)) / 4
    return thick, (sum(roi[:, :, k::4] for k in range(4)) > 0).astype(np.uint8)


def test_interior_statistics_ignore_the_partial_volume_edge_of_thick_slices():
    rng = np.random.default_rng(0)
    zz = np.indices((40, 40, 40)) - 19.5
    roi = ((zz**2).sum(0) < 15.5**2).astype(np.uint8)
    image = np.where(roi > 0, rng.normal(100.0, 10.0, roi.shape), 0.0).astype(np.float32)
    thick, thick_roi = _thick_slices_after_stripping(image, roi)

    def iqr(step, im, r):
        return step.apply(State(image=im, affine=np.eye(4), roi=r))[1]["iqr"]

    whole, interior = RobustScale(), RobustScale(erode=1)
    # 4-slice slabs average the noise down (IQR / 2), and the edge widens it again
    expected = iqr(interior, image, roi) / 2
    assert abs(iqr(interior, thick, thick_roi) / expected - 1) < 0.1
    assert iqr(whole, thick, thick_roi) / expected > 1.3


def test_erode_zero_is_the_plain_step_and_a_thin_mask_is_measured_whole():
    image, roi = _brain(2)
    state = State(image=image, affine=np.eye(4), roi=roi)
    np.testing.assert_array_equal(
        RobustScale(erode=0).apply(state)[0].image, RobustScale().apply(state)[0].image
    )
    thin = np.zeros_like(roi)
    thin[5:15, 5:15, 10] = 1  # one slice: no interior after a 6-connected erosion
    out, record = RobustScale(erode=1).apply(State(image=image, affine=np.eye(4), roi=thin))
    assert np.isfinite(record["iqr"]) and abs(np.median(out.image[thin > 0])) < 1e-4
    with pytest.raises(MedsslError, match="erode must be >= 0"):
        RobustScale(erode=-1)

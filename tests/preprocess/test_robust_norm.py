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

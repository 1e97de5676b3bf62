"""The CT baseline: a robust z-score of median-filtered HU inside the organ, below -k."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen

from medssl.errors import MedsslError
from medssl.inference.ct_zscore import DEFAULT_K, hypodense_threshold, robust_zscore


def _dice(a, b) -> float:
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_robust_zscore_scales_iqr_to_sd():
    values = np.random.default_rng(1).normal(50.0, 7.0, (30, 30, 30))
    z = robust_zscore(values, np.ones(values.shape, bool))
    assert abs(float(np.median(z))) < 0.05
    assert 0.95 < float(np.std(z)) < 1.05


def test_finds_hypodense_blob_inside_the_organ():
    image, organs, tumour = abdomen()
    liver = organs == 5
    mask = hypodense_threshold(image, liver, k=DEFAULT_K, min_voxels=5)
    assert not mask[~liver].any()
    assert _dice(mask, tumour) > 0.7


def test_tumour_free_organ_flags_only_the_normal_tail():
    image, organs, tumour = abdomen()
    liver = organs == 5
    image = np.where(tumour, image + 55.0, image)  # the blob back at the liver's density
    mask = hypodense_threshold(image, liver, min_voxels=5)
    assert np.count_nonzero(mask) < 0.2 * np.count_nonzero(liver)
    assert np.count_nonzero(mask & tumour) < 0.5 * np.count_nonzero(tumour)


@pytest.mark.parametrize("k", [0.0, -1.0, float("nan")])
def test_bad_k(k):
    image, organs, _ = abdomen()
    with pytest.raises(MedsslError, match="k"):
        hypodense_threshold(image, organs == 5, k=k)


def test_empty_and_constant_roi():
    image, organs, _ = abdomen()
    with pytest.raises(MedsslError, match="empty"):
        hypodense_threshold(image, np.zeros(image.shape, bool))
    with pytest.raises(MedsslError, match="constant"):
        hypodense_threshold(np.zeros(image.shape, np.float32), organs == 5)

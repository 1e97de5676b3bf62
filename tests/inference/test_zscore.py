"""The label-free FLAIR threshold baseline on synthetic bright blobs."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import brain_like

from medssl.errors import MedsslError
from medssl.inference.zscore import zscore_threshold
from medssl.preprocess.foreground import foreground


def _dice(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def test_finds_bright_blob():
    image, blob = brain_like()
    mask = zscore_threshold(image, z=2.0)
    assert mask.dtype == bool and mask.shape == image.shape
    assert _dice(mask, blob > 0) > 0.9


def test_shifted_constant_background_is_not_brain():
    image, blob = brain_like()
    shifted = np.where(image > 0, (image - 120) / 40, -3.5).astype(np.float32)  # no zeros
    assert not foreground(shifted)[0, 0, 0] and foreground(shifted).sum() == (image > 0).sum()
    assert _dice(zscore_threshold(shifted, z=2.0), blob > 0) > 0.9


def test_a_few_exact_zeros_in_the_brain_do_not_hide_the_background():
    image, _ = brain_like()
    shifted = np.where(image > 0, (image - 120) / 40, -3.5).astype(np.float32)
    brain = np.argwhere(image > 0)
    shifted[tuple(brain[len(brain) // 2])] = 0.0  # one normalised brain voxel at exactly 0
    assert foreground(shifted).sum() == (image > 0).sum()


def test_tight_crop_of_a_raw_scan_keeps_its_zero_background():
    image = np.full((20, 20, 20), 100.0, dtype=np.float32)
    image[0, 0, :5] = 0.0  # 5 of 8000 voxels: far under 10 %
    assert foreground(image).sum() == image.size - 5


def test_given_brain_mask_limits_region():
    image, blob = brain_like()
    half = np.zeros_like(blob)
    half[: image.shape[0] // 2] = 1
    mask = zscore_threshold(image, z=1.0, brain_mask=half)
    assert not mask[image.shape[0] // 2 :].any()


def test_cleanup_removes_small_components():
    image, _ = brain_like()
    image[3, 12, 10] = 5000.0  # one hot voxel inside the brain
    assert zscore_threshold(image, z=2.0, min_voxels=0)[3, 12, 10]
    assert not zscore_threshold(image, z=2.0, min_voxels=20)[3, 12, 10]


def test_uniform_brain_gives_empty_mask():
    image = np.zeros((12, 12, 12), np.float32)
    image[2:10, 2:10, 2:10] = 7.0
    assert not zscore_threshold(image, z=2.0).any()


def test_empty_brain():
    with pytest.raises(MedsslError, match="brain region is empty"):
        zscore_threshold(np.zeros((8, 8, 8), np.float32), z=2.0, brain_mask=np.zeros((8, 8, 8)))


def test_mask_shape_mismatch():
    image, _ = brain_like()
    with pytest.raises(MedsslError, match="brain mask shape"):
        zscore_threshold(image, brain_mask=np.ones((4, 4, 4)))


@pytest.mark.parametrize(
    "kwargs, rule",
    [({"z": float("nan")}, "finite"), ({"min_voxels": -1}, "min_voxels must be >= 0")],
)
def test_bad_options(kwargs, rule):
    image, _ = brain_like()
    with pytest.raises(MedsslError, match=rule):
        zscore_threshold(image, **kwargs)


def test_real_flair_without_labels(shared_data):
    from medssl.io import read_image, read_label

    case = shared_data / "brats_dev" / "brats_2013_pat0004_1"
    image = read_image(case / "flair.nii.gz").array
    mask = zscore_threshold(image, z=2.0)
    truth = read_label(case / "label.nii.gz").array > 0  # only to score the result
    assert _dice(mask, truth) > 0.5

"""Synthesis on real scans: BraTS FLAIR at 2 mm and the liver of a CT (skips without data)."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.synthesis import brain, liver, sample_rng, synthesize

BRATS = "brats_dev/brats_2013_pat{}_1"


def _load(path) -> np.ndarray:
    import nibabel as nib

    return np.asarray(nib.load(path).get_fdata(dtype=np.float32))


@pytest.fixture(scope="module")
def flair_pair(shared_data):
    """pat0003 (normal) and pat0004 (texture) FLAIR with brain masks, 2 mm (every other voxel)."""
    out = []
    for case in ("0003", "0004"):
        folder = shared_data / BRATS.format(case)
        out.append(_load(folder / "flair.nii.gz")[::2, ::2, ::2])
        out.append(_load(folder / "brainmask.nii.gz")[::2, ::2, ::2] > 0)
    return out


def test_brain_tumour_on_real_flair(flair_pair):
    normal, roi, other, other_roi = flair_pair
    config = brain()
    for index in range(2):
        sample = synthesize(
            normal, other, roi, params_or_rng=sample_rng(0, index), spacing=(2.0, 2.0, 2.0),
            config=config, other_roi=other_roi,
        )  # fmt: skip
        m = sample.mask > 0
        assert m.any() and not (m & ~roi).any()
        volume = m.sum() * 8.0
        assert config.volume_range_mm3[0] * config.min_inside_fraction * 0.9 <= volume
        assert volume <= config.volume_range_mm3[1] * 1.1
        r = sample.params.texture.intensity_ratio
        floor = float(normal.min())  # the z-score of zero signal: the constant background
        expected = floor + r * (normal[roi].mean() - floor)
        assert sample.texture[m].mean() == pytest.approx(expected, rel=1e-3, abs=1e-3)
        assert sample.image[m].mean() >= normal[m].mean() - 1e-3  # r >= 1: hyper-intense
        np.testing.assert_array_equal(sample.image[~m], normal[~m])


def test_liver_tumours_on_real_ct(shared_data):
    folder = shared_data / "body" / "totalseg_ct"
    ct = _load(folder / "ct.nii.gz")
    liver_mask = _load(folder / "seg_predicted.nii.gz") == 5
    other, other_roi = ct[::-1].copy(), liver_mask[::-1].copy()  # a different image: mirrored
    sample = synthesize(
        ct, other, liver_mask, params_or_rng=sample_rng(0, 1), spacing=(3.0, 3.0, 3.0),
        config=liver(), other_roi=other_roi,
    )  # fmt: skip
    m = sample.mask > 0
    assert 1 <= len(sample.params.shapes) <= 15
    assert m.any() and not (m & ~liver_mask).any()
    liver_mean = ct[liver_mask].mean()
    r = sample.params.texture.intensity_ratio
    assert sample.texture[m].mean() == pytest.approx(r * liver_mean, rel=1e-3)
    assert sample.image[m].mean() < ct[m].mean()  # hypo-dense lesions

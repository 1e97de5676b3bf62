"""Label-free lesion removal from the normal FLAIR volumes (medssl.methods.ld.lesion_fill)."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.methods.ld.lesion_fill import (
    DEFAULTS,
    fill_lesions,
    lesion_fill_options,
    mirror_lr,
    remove_lesions,
    suspect_lesions,
)

SPACING = (2.0, 2.0, 2.0)


def _brain(shape=(40, 36, 32), seed=0):
    """A left-right symmetric 'brain' (ellipsoid) with smooth noise, 0 outside.

    The noise is spatially correlated, as tissue texture is in a real scan (white
    noise above z > 1 would percolate through the whole brain).
    """
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    roi = ((grid / 0.9) ** 2).sum(0) < 1
    noise = ndimage.gaussian_filter(rng.normal(0, 1, size=shape), 1.5)
    noise *= 5.0 / noise.std()
    image = np.where(roi, 100.0 + noise, 0.0).astype(np.float32)
    return image, roi, grid


def _ball(grid, centre, radius):
    return (((grid - np.asarray(centre)[:, None, None, None]) / radius) ** 2).sum(0) < 1


def test_mirror_is_about_the_brain_centre():
    roi = np.zeros((10, 3, 3), bool)
    roi[2:7] = True  # extent 2..6, centre 4
    a = np.arange(10, dtype=np.float32)[:, None, None] * np.ones((1, 3, 3), np.float32)
    m = mirror_lr(a, roi)
    assert m[3, 0, 0] == 5 and m[4, 0, 0] == 4 and m[6, 0, 0] == 2
    assert m[9, 0, 0] == a.min()  # mirror outside the volume


def test_asymmetric_bright_lesion_is_found_and_filled_with_contralateral_tissue():
    image, roi, grid = _brain()
    lesion = _ball(grid, (0.45, 0.0, 0.0), 0.3) & roi
    image[lesion] = 220.0
    filled, suspect = remove_lesions(image, roi, SPACING)
    assert suspect[lesion].mean() > 0.99  # the whole lesion, and a dilated border
    assert suspect.sum() > lesion.sum()
    assert not suspect[_ball(grid, (-0.45, 0.0, 0.0), 0.3)].any()  # other hemisphere
    assert abs(float(filled[lesion].mean()) - 100.0) < 5.0
    far = roi & ~_ball(grid, (0.45, 0.0, 0.0), 0.75)  # beyond the feathered seam
    np.testing.assert_allclose(filled[far], image[far], atol=0.05)


def test_symmetric_hyperintensities_are_left_alone():
    image, roi, grid = _brain()
    pair = (_ball(grid, (0.45, 0.0, 0.0), 0.3) | _ball(grid, (-0.45, 0.0, 0.0), 0.3)) & roi
    image[pair] = 220.0
    assert not suspect_lesions(image, roi, SPACING).any()


def test_small_blobs_are_not_lesions():
    image, roi, grid = _brain()
    blob = _ball(grid, (0.45, 0.0, 0.0), 0.08) & roi  # a few voxels, far below 1 cm^3
    assert 0 < blob.sum() * 8 < DEFAULTS["min_mm3"]
    image[blob] = 220.0
    options = dict(DEFAULTS, grow_z=DEFAULTS["seed_z"])  # no hysteresis into the noise
    assert not suspect_lesions(image, roi, SPACING, **options).any()
    image[_ball(grid, (0.45, 0.0, 0.0), 0.3) & roi] = 220.0  # the same spot, larger
    assert suspect_lesions(image, roi, SPACING, **options).any()


def test_a_lesion_across_the_midline_gets_local_tissue():
    image, roi, grid = _brain()
    lesion = _ball(grid, (0.0, 0.0, 0.0), 0.3) & roi
    image[lesion] = 220.0
    filled, suspect = remove_lesions(image, roi, SPACING, dict(DEFAULTS, max_mirrored=1.0))
    assert suspect[lesion].all()
    assert abs(float(filled[lesion].mean()) - 100.0) < 10.0 and np.isfinite(filled).all()


def test_nothing_suspect_returns_a_copy():
    image, roi, _ = _brain()
    out = fill_lesions(image, roi, np.zeros(roi.shape, bool))
    np.testing.assert_array_equal(out, image)
    assert out is not image


@pytest.mark.parametrize(
    "options, rule",
    [
        ({"seed": 2.0}, "unknown lesion_fill option"),
        ({"seed_z": 1.0, "grow_z": 2.0}, "must be <= seed_z"),
        ({"max_mirrored": 1.5}, "max_mirrored in"),
        ({"dilate_mm": float("nan")}, "finite"),
    ],
)
def test_bad_options(options, rule):
    with pytest.raises(MedsslError, match=rule):
        lesion_fill_options(options)


def test_option_forms():
    assert lesion_fill_options(None) is None and lesion_fill_options(False) is None
    assert lesion_fill_options(True) == DEFAULTS
    assert lesion_fill_options({"dilate_mm": 0})["dilate_mm"] == 0.0


def test_highpass_ignores_a_smooth_bias_but_keeps_a_focal_lesion():
    image, roi, grid = _brain()
    biased = image * np.where(roi, 1.0 + 0.6 * np.clip(-grid[2], 0, None), 1.0)  # bright bottom
    lesion = _ball(grid, (0.35, 0.0, 0.2), 0.18) & roi
    biased = np.where(lesion, biased + 60.0, biased).astype(np.float32)
    options = {"seed_z": 3.0, "grow_z": 2.0, "min_mm3": 50.0, "dilate_mm": 0.0}
    plain = suspect_lesions(biased, roi, SPACING, **options)
    high = suspect_lesions(biased, roi, SPACING, highpass_mm=10.0, **options)
    assert (high & lesion).sum() > 0.5 * lesion.sum()
    assert (plain & ~lesion).sum() > lesion.sum()  # the bright bottom, taken for a lesion
    assert (high & ~lesion).sum() < 0.5 * (plain & ~lesion).sum()

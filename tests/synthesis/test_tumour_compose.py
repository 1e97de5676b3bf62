"""Composition x = (1 - αm)·x_n + αm·s: reproducible, inside the ROI, within range."""

from __future__ import annotations

import numpy as np
import pytest
from synthesis_helpers import SPACING, ball

from medssl.errors import MedsslError
from medssl.synthesis import (
    SynthesisConfig,
    apply_params,
    brain,
    liver,
    preset,
    sample_params,
    sample_rng,
    synthesize,
)

SMALL = {"volume_range_mm3": (4_000.0, 12_000.0)}


def _make(head, index=0, config=None, seed=0):
    normal, other, roi = head
    return synthesize(
        normal, other, roi, params_or_rng=sample_rng(seed, index), spacing=SPACING,
        config=config or brain(**SMALL),
    )  # fmt: skip


def test_reproducible_from_seed_and_index(head):
    a, b, c = _make(head, 3), _make(head, 3), _make(head, 4)
    for name in ("image", "texture", "mask", "blend"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.image, c.image)
    replay = apply_params(*head, a.params)
    np.testing.assert_array_equal(replay.image, a.image)
    again = synthesize(*head, params_or_rng=a.params)
    np.testing.assert_array_equal(again.mask, a.mask)


def test_composition_formula_is_exact(head):
    normal = head[0]
    sample = _make(head, 1)
    m = sample.mask.astype(np.float32)
    a = sample.alpha
    expected = (1 - a * m) * normal + a * m * sample.texture
    np.testing.assert_allclose(sample.image, expected, atol=1e-5)
    np.testing.assert_array_equal(sample.blend, a * m)
    np.testing.assert_array_equal(sample.image[m == 0], normal[m == 0])
    assert 0.5 <= a <= 1.0


@pytest.mark.parametrize("index", range(4))
def test_mask_inside_roi_and_volume_in_range(head, index):
    _, _, roi = head
    config = brain(**SMALL, min_inside_fraction=1.0)
    sample = _make(head, index, config)
    mask = sample.mask > 0
    assert mask.any() and not (mask & ~roi).any()
    volume = mask.sum() * np.prod(SPACING)
    assert 4_000 * 0.85 <= volume <= 12_000 * 1.15
    assert volume == pytest.approx(sample.params.shapes[0].volume_mm3, rel=0.15)


def test_liver_places_k_tumours(head):
    counts = set()
    for index in range(4):
        config = liver(volume_range_mm3=(100.0, 2_000.0))
        sample = _make(head, index, config)
        counts.add(len(sample.params.shapes))
        assert 1 <= len(sample.params.shapes) <= 15
    assert len(counts) > 1
    fixed = _make(head, 0, liver(count_range=(3, 3), volume_range_mm3=(300.0, 600.0)))
    assert len(fixed.params.shapes) == 3


def test_liver_tumours_are_darker(head):
    normal, other, roi = head
    normal, other = normal + 10.0, other + 10.0
    sample = _make((normal, other, roi), 0, liver(volume_range_mm3=(500.0, 2_000.0)))
    m = sample.mask > 0
    assert sample.texture[m].mean() < 0.5 * normal[roi].mean()
    assert sample.image[m].mean() < normal[m].mean()


def test_soft_edges_blend_outside_mask_but_inside_roi(head):
    normal, _, roi = head
    sample = _make(head, 2, brain(**SMALL, edge_sigma_mm=2.0))
    m = sample.mask > 0
    rim = (sample.blend > 0) & ~m
    assert rim.any() and not (sample.blend[~roi] > 0).any()
    assert sample.blend.max() <= sample.alpha + 1e-6
    np.testing.assert_array_equal(sample.image[sample.blend == 0], normal[sample.blend == 0])


def test_roi_too_small_is_a_clear_error(head):
    normal = head[0]
    tiny = np.zeros_like(normal, dtype=bool)
    tiny[10:12, 10:12, 10:12] = True
    with pytest.raises(MedsslError, match="smaller than the smallest tumour"):
        sample_params(sample_rng(0, 0), tiny, SPACING, brain())
    with pytest.raises(MedsslError, match="ROI is empty"):
        sample_params(sample_rng(0, 0), np.zeros_like(tiny), SPACING, brain())
    slab = np.zeros_like(tiny)
    slab[:, :, 16] = True  # big enough in mm³, but 2 mm thin
    with pytest.raises(MedsslError, match="could not fit a tumour"):
        sample_params(sample_rng(0, 0), slab, SPACING, brain(max_tries=3))


def test_bad_inputs(head):
    normal, other, roi = head
    params = sample_params(sample_rng(0, 0), roi, SPACING, brain(**SMALL))
    with pytest.raises(MedsslError, match="other must have shape"):
        apply_params(normal, other[:-1], roi, params)
    with pytest.raises(MedsslError, match="spacing must be 3 positive"):
        sample_params(sample_rng(0, 0), roi, (1.0, 0.0, 1.0), brain())
    with pytest.raises(MedsslError, match="roi must be a 3D array"):
        sample_params(sample_rng(0, 0), roi[0], SPACING, brain())
    with pytest.raises(MedsslError, match="non-negative"):
        sample_rng(-1, 0)


def test_config_validation_and_presets():
    with pytest.raises(MedsslError, match="alpha_range must lie in"):
        SynthesisConfig(alpha_range=(0.5, 1.5))
    with pytest.raises(MedsslError, match="low <= high"):
        brain(volume_range_mm3=(10.0, 1.0))
    with pytest.raises(MedsslError, match="valid: brain, liver"):
        preset("kidney")
    assert preset("liver").intensity_ratio_range == (0.125, 0.5)
    assert brain().count_range == (1, 1) and liver().count_range == (1, 15)


def test_roi_of_other_image_is_used(head):
    normal, other, roi = head
    left = ball()
    left[16:] = False
    sample = synthesize(
        normal, other, roi, params_or_rng=sample_rng(0, 1), spacing=SPACING,
        config=brain(**SMALL), other_roi=left,
    )  # fmt: skip
    shift = sample.params.texture.source_shift
    box_centre = np.argwhere(sample.mask).mean(0)
    assert box_centre[0] + shift[0] < 18

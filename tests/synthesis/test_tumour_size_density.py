"""Organ-relative tumour radii and the iso-/hyper-dense variants of the liver preset."""

from __future__ import annotations

import numpy as np
import pytest
from synthesis_helpers import SPACING

from medssl.errors import MedsslError
from medssl.synthesis import liver, sample_params, sample_rng, synthesize
from medssl.synthesis.compose import draw_density_ratio
from medssl.synthesis.placement import draw_volume, volume_range


def test_radius_fractions_give_volumes_relative_to_the_organ():
    config = liver(radius_fraction_range=(0.125, 0.5))
    assert volume_range(config, 8000.0) == (8000.0 / 512, 8000.0 / 8)
    rng = np.random.default_rng(0)
    for organ in (2_000.0, 1_500_000.0):
        volumes = [draw_volume(rng, config, organ) for _ in range(200)]
        radii = np.cbrt(np.asarray(volumes) / organ)  # radius over the organ's radius
        assert radii.min() >= 0.125 - 1e-9 and radii.max() <= 0.5 + 1e-9
        assert radii.max() - radii.min() > 0.25
    with pytest.raises(MedsslError, match="organ_mm3"):
        draw_volume(rng, config, None)
    assert volume_range(liver(), 1e6) == liver().volume_range_mm3


def test_the_whole_organ_sets_the_size_when_the_roi_is_a_crop(head):
    _, _, roi = head
    config = liver(radius_fraction_range=(0.125, 0.25), count_range=(2, 2))
    organ = float(roi.sum() * np.prod(SPACING))
    small = sample_params(sample_rng(0, 1), roi, SPACING, config)
    large = sample_params(sample_rng(0, 1), roi, SPACING, config, organ_mm3=8 * organ)
    for shape in small.shapes:
        assert organ / 512 * 0.999 <= shape.volume_mm3 <= organ / 64 * 1.001
    for shape in large.shapes:
        assert 8 * organ / 512 * 0.999 <= shape.volume_mm3 <= 8 * organ / 64 * 1.001


def test_density_variants_draw_hypo_iso_and_hyper_with_their_weights():
    config = liver(density_variants=True, density_weights=(1.0, 1.0, 2.0))
    rng = np.random.default_rng(3)
    r = np.array([draw_density_ratio(rng, config) for _ in range(2000)])
    hypo, iso, hyper = (r <= 0.5), (r >= 0.9) & (r <= 1.1), (r >= 1.2) & (r <= 2.0)
    assert np.all(hypo | iso | hyper)
    assert abs(hypo.mean() - 0.25) < 0.04 and abs(hyper.mean() - 0.5) < 0.04
    only_hyper = liver(density_variants=True, density_weights=(0.0, 0.0, 1.0))
    assert all(draw_density_ratio(rng, only_hyper) >= 1.2 for _ in range(20))


def test_hyper_dense_tumours_are_brighter_and_the_switch_keeps_the_default_stream(head):
    normal, other, roi = head
    normal, other = normal + 100.0, other + 100.0  # HU-like, positive
    sizes = {"volume_range_mm3": (500.0, 2_000.0)}
    hyper = liver(**sizes, density_variants=True, density_weights=(0.0, 0.0, 1.0))
    sample = synthesize(
        normal, other, roi, params_or_rng=sample_rng(0, 2), spacing=SPACING, config=hyper
    )
    m = sample.mask > 0
    assert sample.params.texture.intensity_ratio >= 1.2
    assert sample.texture[m].mean() > 1.15 * normal[roi].mean()
    default = [
        synthesize(normal, other, roi, params_or_rng=sample_rng(0, 2), spacing=SPACING,
                   config=liver(**sizes, **extra))
        for extra in ({}, {"density_variants": False, "iso_ratio_range": (0.95, 1.05)})
    ]  # fmt: skip
    np.testing.assert_array_equal(default[0].image, default[1].image)
    assert default[0].params.texture.intensity_ratio <= 0.5


@pytest.mark.parametrize(
    "overrides, rule",
    [
        ({"radius_fraction_range": (0.0, 0.5)}, "radius_fraction_range must lie in"),
        ({"radius_fraction_range": (0.5, 1.5)}, "radius_fraction_range must lie in"),
        ({"radius_fraction_range": (0.5, 0.1)}, "low <= high"),
        ({"density_weights": (0.0, 0.0, 0.0)}, "density_weights must be"),
        ({"density_weights": (1.0, -1.0, 1.0)}, "density_weights must be"),
        ({"hyper_ratio_range": (0.0, 2.0)}, "must be positive"),
        ({"iso_ratio_range": (1.1, 0.9)}, "low <= high"),
    ],
)
def test_bad_size_and_density_options(overrides, rule):
    with pytest.raises(MedsslError, match=rule):
        liver(**overrides)

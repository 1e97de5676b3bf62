"""Enhanced vessels in the CT randomisation: inside the organ, scaled by its enhancement."""

from __future__ import annotations

import numpy as np
import pytest
from test_ld_ct_randomise import SPACING, _ct

from medssl.errors import MedsslError
from medssl.methods.ld.ct_randomise import CTRandomisationConfig, randomise_ct
from medssl.methods.ld.ct_vessels import BLOOD_HU, paint_vessels, tube_profile

ONLY_VESSELS = {"vessels": True, "p_vessels": 1.0}
ONLY_VESSELS |= {part: False for part in ("phase", "blur", "thick_slices", "noise")}


def _paint(image, roi, seed=0, **kw):
    options = {"count_range": (20, 20), "radius_mm_range": (1.0, 3.0)}
    options["enhancement_range"] = (0.5, 0.5)
    return paint_vessels(image, roi, SPACING, np.random.default_rng(seed), **(options | kw))


def test_vessels_are_bright_tubes_inside_the_organ_only():
    image, labels = _ct()
    roi = labels == 5
    out, drawn = _paint(image, roi)
    median = float(np.median(image[roi]))
    assert drawn["delta_hu"] == pytest.approx(0.5 * (median - BLOOD_HU))
    changed = out != image
    assert changed.any() and not changed[~roi].any()
    assert (out - image).max() == pytest.approx(drawn["delta_hu"], rel=1e-4)
    assert 0.01 < changed[roi].mean() < 0.6  # tubes, not the whole organ
    np.testing.assert_array_equal(out, _paint(image, roi)[0])  # same seed, same tubes


def test_an_unenhanced_organ_gets_no_vessels():
    image, labels = _ct()
    roi = labels == 5
    flat = np.where(roi, BLOOD_HU, image).astype(np.float32)
    out, drawn = _paint(flat, roi)
    assert drawn["delta_hu"] == 0.0
    np.testing.assert_array_equal(out, flat)


def test_tube_radius_sets_its_width():
    walk = np.stack([np.full(30, 16.0), np.full(30, 16.0), np.arange(30.0)], axis=1)
    thin = tube_profile((32, 32, 32), [walk], [1.0], (1.0, 1.0, 1.0))
    thick = tube_profile((32, 32, 32), [walk], [4.0], (1.0, 1.0, 1.0))
    assert thin[16, 16, 10] == 1.0 and thin[16, 19, 10] == 0.0
    assert thick[16, 19, 10] == 1.0 and thick[16, 22, 10] == 0.0
    assert thick.sum() > 5 * thin.sum()


def test_vessels_part_in_the_randomisation_is_recorded_and_switchable():
    image, labels = _ct()
    roi = labels == 5
    rng = np.random.default_rng(1)
    out, params = randomise_ct(image, roi, SPACING, rng, CTRandomisationConfig(**ONLY_VESSELS))
    assert set(params) == {"vessels"} and params["vessels"]["delta_hu"] > 0
    assert not (out != image)[~roi].any() and (out != image)[roi].any()
    off = CTRandomisationConfig(**(ONLY_VESSELS | {"vessels": False}))
    out, params = randomise_ct(image, roi, SPACING, np.random.default_rng(1), off)
    assert params == {} and np.array_equal(out, image)


@pytest.mark.parametrize(
    "field, value",
    [("vessel_count_range", (0, 5)), ("vessel_radius_mm_range", (0.0, 2.0)), ("p_vessels", 2.0)],
)
def test_vessel_options_are_checked(field, value):
    with pytest.raises(MedsslError, match=field):
        CTRandomisationConfig.from_options({field: value})

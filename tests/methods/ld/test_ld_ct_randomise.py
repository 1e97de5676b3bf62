"""CT domain randomisation: in HU, reproducible, switchable, recorded, MRI parts refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zs_helpers import write_nifti

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.losses import compose
from medssl.methods import create_method
from medssl.methods.ld.ct_randomise import (
    CT_PARTS,
    CTRandomisationConfig,
    contrast_phase,
    randomise_ct,
    soft_tissue_weight,
)

SPACING = (2.0, 2.0, 2.0)


def _ct(shape=(32, 32, 28), seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Air around a fat-rimmed body of soft tissue, a liver (label 5) and a bone."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    r2 = (grid**2).sum(0)
    image = np.full(shape, -1000.0, np.float32)
    image[r2 < 0.95] = -100.0  # fat
    image[r2 < 0.7] = 40.0  # soft tissue
    liver = ((grid[0] - 0.2) ** 2 + grid[1] ** 2 + grid[2] ** 2) < 0.25
    image[liver] = 100.0
    bone = ((grid[0] + 0.5) ** 2 + (grid[1] + 0.3) ** 2) < 0.02
    image[bone & (r2 < 0.7)] = 700.0
    image = image + rng.normal(0, 8, shape).astype(np.float32) * (image > -500)
    labels = np.where(liver, 5, 0).astype(np.uint8)
    return image.astype(np.float32), labels


def _all_on(**changes) -> CTRandomisationConfig:
    return CTRandomisationConfig(**{f"p_{p}": 1.0 for p in CT_PARTS}, **changes)


def _run(config, seed=3):
    image, labels = _ct()
    return randomise_ct(image, labels == 5, SPACING, np.random.default_rng(seed), config)


def test_same_generator_same_volume_and_parameters():
    (a, pa), (b, pb) = _run(_all_on()), _run(_all_on())
    np.testing.assert_array_equal(a, b)
    assert pa == pb and set(pa) == set(CT_PARTS)
    c, pc = _run(_all_on(), seed=4)
    assert not np.allclose(a, c) and pc != pa


def test_each_part_can_be_switched_off_and_none_leaves_the_volume():
    for part in CT_PARTS:
        _, params = _run(_all_on(**{part: False}))
        assert part not in params and len(params) == len(CT_PARTS) - 1
    off = _all_on(**{p: False for p in CT_PARTS})
    out, params = _run(off)
    assert params == {}
    np.testing.assert_array_equal(out, _ct()[0])


def test_contrast_phase_moves_soft_tissue_and_keeps_air_fat_and_bone():
    image, labels = _ct()
    liver = labels == 5
    config = CTRandomisationConfig()
    out = contrast_phase(image, liver, -45.0, 1.0, config)
    shift = out - image
    assert abs(float(np.median(shift[liver])) + 45.0) < 1e-3
    assert np.all(shift[image < -100] == 0) and np.all(shift[image > 400] == 0)
    scaled = contrast_phase(image, liver, 0.0, 1.2, config)
    assert scaled[liver].std() > 1.15 * image[liver].std()
    assert abs(float(np.median(scaled[liver]) - np.median(image[liver]))) < 1.0


def test_soft_tissue_weight_ramps_outside_the_band():
    hu = np.array([-100.0, -25.0, 0.0, 100.0, 250.0, 275.0, 300.0, 1000.0])
    w = soft_tissue_weight(hu, (0.0, 250.0), 50.0)
    np.testing.assert_allclose(w, [0, 0.5, 1, 1, 1, 0.5, 0, 0])


def test_phase_sets_the_organ_median_whatever_the_source_phase():
    image, labels = _ct()
    liver = labels == 5
    config = _all_on(blur=False, thick_slices=False, noise=False, phase_organ_hu_range=(60, 60))
    for shift in (0.0, 70.0):  # an unenhanced-like and a portal-venous-like source
        out, params = randomise_ct(
            image + shift * liver, liver, SPACING, np.random.default_rng(1), config
        )
        assert params["phase"]["organ_hu"] == 60.0
        assert abs(float(np.median(out[liver])) - 60.0) < 1.0


def test_noise_has_the_drawn_standard_deviation_in_hu():
    flat = np.full((32, 32, 32), 60.0, np.float32)
    roi = np.ones_like(flat, bool)
    config = _all_on(phase=False, blur=False, thick_slices=False, noise_std_hu_range=(12.0, 12.0))
    out, params = randomise_ct(flat, roi, SPACING, np.random.default_rng(0), config)
    assert params["noise"]["std_hu"] == 12.0
    assert abs(float((out - 60.0).std()) - 12.0) < 0.2


def test_thick_slices_act_along_the_slice_axis():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(16, 16, 32)).astype(np.float32) * 30
    config = _all_on(phase=False, blur=False, noise=False, thick_factor_range=(2.5, 2.5))
    out, params = randomise_ct(image, image > 0, SPACING, rng, config)
    assert params["thick_slices"]["axis"] == 2
    assert np.abs(np.diff(out, axis=2)).mean() < 0.5 * np.abs(np.diff(out, axis=0)).mean()


@pytest.mark.parametrize("field", ["bias_field", "gamma", "raw_units", "noise_std_range"])
def test_mri_only_fields_are_refused_for_ct_by_name(field):
    value = (0.01, 0.05) if field.endswith("_range") else True
    with pytest.raises(MedsslError, match=f"randomise.{field} does not apply to the CT"):
        create_method("ld", preset="liver_ct", randomise={field: value})


def test_options_are_checked():
    assert CTRandomisationConfig.from_options(None) is None
    assert CTRandomisationConfig.from_options(True) == CTRandomisationConfig()
    with pytest.raises(MedsslError, match="unknown CT randomise option"):
        CTRandomisationConfig.from_options({"phases": True})
    with pytest.raises(MedsslError, match="p_phase"):
        CTRandomisationConfig(p_phase=2.0)
    with pytest.raises(MedsslError, match="phase_organ_hu_range"):
        CTRandomisationConfig(phase_organ_hu_range=(110.0, 50.0))
    with pytest.raises(MedsslError, match="noise_std_hu_range"):
        CTRandomisationConfig(noise_std_hu_range=(-1.0, 5.0))
    with pytest.raises(MedsslError, match="unknown randomise option"):
        create_method("ld", preset="brain_flair", randomise={"phase": True})


@pytest.fixture(scope="module")
def ct_records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct")
    affine = np.diag([*SPACING, 1.0])
    records = []
    for k in range(2):
        image, labels = _ct(seed=k)
        image = image + 15.0 * k  # another phase
        write_nifti(folder / f"ct{k}.nii.gz", image, affine)
        write_nifti(folder / f"seg{k}.nii.gz", labels, affine)
        records.append(Record(f"ct{k}", folder / f"ct{k}.nii.gz", roi=folder / f"seg{k}.nii.gz"))
    return records


def test_ct_items_are_randomised_in_the_workers_reproducibly_and_still_decompose(
    tmp_path, ct_records
):
    from medssl.config import TrainConfig

    options = {
        "preset": "liver_ct", "patch_size": 16, "cache_dir": str(tmp_path / "cache"),
        "synthesis": {"volume_range_mm3": [100.0, 1500.0], "count_range": [1, 3]},
        "randomise": {f"p_{p}": 1.0 for p in CT_PARTS},
    }  # fmt: skip
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = create_method("ld", **options).make_dataset(ct_records, cfg, seed=2)
    a, b = ds[3], ds[3]
    assert all(torch.equal(a[k], b[k]) for k in a)
    drawn = ds.drawn(3)
    assert set(drawn) == {"normal", "donor"} and set(drawn["normal"]) == set(CT_PARTS)
    items = [ds[i] for i in range(6)]
    assert any(float(it["m"].sum()) > 0 for it in items)
    for item in items:  # windowed to [0, 1] after synthesis; the targets re-compose x
        assert 0.0 <= float(item["x"].min()) and float(item["x"].max()) <= 1.0
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        assert torch.allclose(x, item["x"], atol=1e-5)
    plain = dict(options, randomise=None)
    ds_off = create_method("ld", **plain).make_dataset(ct_records, cfg, seed=2)
    assert not torch.equal(ds_off[3]["x_n"], a["x_n"]) and ds_off.drawn(3) == {}


def test_model_card_lists_the_ct_parts():
    from medssl.methods.ld.method import LayerDecomposition

    lines = LayerDecomposition.card_lines({"preset": "liver_ct", "randomise": True})
    text = "\n".join(lines)
    assert "phase (p=0.8)" in text and "HU window" in text and "bias_field" not in text
    assert "hypo-dense only" in text and "ventricles" not in text
    synthesis = {"radius_fraction_range": [0.125, 0.5], "density_variants": True}
    text = "\n".join(LayerDecomposition.card_lines({"preset": "liver_ct", "synthesis": synthesis}))
    assert "radius 0.125-0.5 of the organ's" in text and "hypo/iso/hyper-dense" in text


def test_ct_scan_look_after_synthesis_reaches_the_tumour(tmp_path, ct_records):
    from medssl.config import TrainConfig

    options = {
        "preset": "liver_ct", "patch_size": 16, "cache_dir": str(tmp_path / "cache"),
        "synthesis": {"volume_range_mm3": [100.0, 1500.0], "count_range": [1, 3]},
        "randomise": {"after_synthesis": True, "p_noise": 1.0, "p_blur": 1.0},
    }  # fmt: skip
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = create_method("ld", **options).make_dataset(ct_records, cfg, seed=2)
    assert "scan" in ds.drawn(3) and "normal" not in ds.drawn(3)
    assert all(torch.equal(a, b) for a, b in zip(ds[3].values(), ds[3].values()))
    blurred = 0
    for item in (ds[i] for i in range(8)):
        m = item["m"] > 0
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        inside = m & (item["x"] > 0) & (item["x"] < 1) & (item["s"] > 0) & (item["s"] < 1)
        assert torch.allclose(x[inside], item["x"][inside], atol=1e-4)
        if m.any():  # the blurred tumour reaches past its mask: x differs from x_n there
            rim = torch.nn.functional.max_pool3d(m[None].float(), 3, 1, 1)[0].bool() & ~m
            blurred += bool((item["x"][rim] - item["x_n"][rim]).abs().max() > 1e-3)
    assert blurred > 0

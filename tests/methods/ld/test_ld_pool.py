"""Leave-source-out data: mask checks, held-out validation, randomised items, placement."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from zs_helpers import brain_like, write_nifti

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.losses import compose
from medssl.methods import create_method
from medssl.methods.ld.dataset import check_mask_fits, near_ventricles
from medssl.methods.ld.presets import ld_preset

AFFINE = np.diag([2.0, 2.0, 2.0, 1.0])


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Three skull-stripped scans with brain masks, in raw-like units; a CSV of the third."""
    folder = tmp_path_factory.mktemp("pool")
    records = []
    for k in range(3):
        image, _ = brain_like(shape=(28, 28, 24), seed=k)
        image = image * (3 + 4 * k) + (image > 0) * 50 * k
        mask = (image > 0).astype(np.uint8)
        write_nifti(folder / f"s{k}_flair.nii.gz", image.astype(np.float32), AFFINE)
        write_nifti(folder / f"s{k}_mask.nii.gz", mask, AFFINE)
        records.append(
            Record(f"s{k}", folder / f"s{k}_flair.nii.gz", roi=folder / f"s{k}_mask.nii.gz")
        )
    with open(folder / "held.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "image", "roi"])
        w.writerow(["s2", "s2_flair.nii.gz", "s2_mask.nii.gz"])
    return folder, records


def test_a_mask_on_another_grid_or_missing_brain_is_one_line_naming_both(pool, tmp_path):
    folder, _ = pool
    image = folder / "s0_flair.nii.gz"
    small = write_nifti(tmp_path / "small.nii.gz", np.ones((20, 28, 24), np.uint8), AFFINE)
    with pytest.raises(MedsslError) as err:
        check_mask_fits(str(image), str(small))
    text = str(err.value)
    assert "small.nii.gz" in text and "s0_flair.nii.gz" in text and "\n" not in text
    half = np.zeros((28, 28, 24), np.uint8)
    half[:14] = 1
    cut = write_nifti(tmp_path / "cut.nii.gz", half, AFFINE)
    with pytest.raises(MedsslError, match="outside the mask"):
        check_mask_fits(str(image), str(cut))
    check_mask_fits(str(image), str(folder / "s0_mask.nii.gz"))


def _method(tmp_path, **kwargs):
    options = {
        "patch_size": 16, "synthesis": {"volume_range_mm3": [100.0, 1500.0], "count_range": [1, 3]},
        "cache_dir": str(tmp_path / "cache"), "val_samples": 2,
        "randomise": {f"p_{p}": 1.0 for p in ("bias_field", "gamma", "noise", "raw_units")},
        "periventricular": 0.5,
    }  # fmt: skip
    return create_method("ld", **(options | kwargs))


def test_randomised_items_are_reproducible_and_still_decompose(pool, tmp_path):
    from medssl.config import TrainConfig

    _, records = pool
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = _method(tmp_path).make_dataset(records[:2], cfg, seed=1)
    a, b = ds[3], ds[3]
    assert all(torch.equal(a[k], b[k]) for k in a)
    drawn = ds.drawn(3)
    assert set(drawn) == {"normal", "donor"} and "bias_field" in drawn["normal"]
    for item in (ds[i] for i in range(6)):
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        assert torch.allclose(x, item["x"], atol=1e-5)
    off = _method(tmp_path, randomise={"apply_to": "none"}).make_dataset(records[:2], cfg, seed=1)
    assert not torch.equal(off[3]["x_n"], a["x_n"]) and off.drawn(3) == {}


def test_validation_comes_from_held_out_scans_with_a_false_positive_volume(pool, tmp_path):
    from medssl.config import TrainConfig
    from medssl.models import create_model

    folder, records = pool
    method = _method(tmp_path, val_data=str(folder / "held.csv"))
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    method.make_dataset(records[:2], cfg, seed=0)
    assert [v.id for v in method._held_out] == ["s2"]
    assert {v.id for v in method.dataset.volumes} == {"s0", "s1"}
    torch.manual_seed(0)
    model = create_model("unet3d_tiny", in_channels=1, out_channels=3, num_levels=2).eval()
    metrics = method.validate(model, cfg)
    assert set(metrics) == {"val_loss", "val_dice_sim", "val_fp_ml"} and metrics["val_fp_ml"] >= 0


def test_normalisation_option_replaces_the_zscore_for_training_and_inference():
    preset = ld_preset("brain_flair", normalisation="robust")
    names = [s["name"] for s in preset.infer_steps]
    assert "robust_scale" in names and "zscore" not in names
    assert [s["name"] for s in preset.train_steps] == names
    interior = ld_preset("brain_flair", normalisation="robust_interior")
    step = next(s for s in interior.infer_steps if s["name"] == "robust_scale")
    assert step["erode"] == 1 and interior.train_steps == interior.infer_steps
    with pytest.raises(MedsslError, match="needs landmarks"):
        ld_preset("brain_flair", normalisation="histogram")
    with pytest.raises(MedsslError, match="unknown normalisation"):
        ld_preset("brain_flair", normalisation="minmax")
    with pytest.raises(MedsslError, match="is CT: normalisation must be one of window, organ"):
        ld_preset("liver_ct", normalisation="robust")


def test_periventricular_region_hugs_deep_dark_fluid():
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, 40)] * 3, indexing="ij"))
    roi = (grid**2).sum(0) < 0.9
    ventricle = (grid**2).sum(0) < 0.02
    image = np.where(roi, 1.0, 0.0) - 2.0 * ventricle
    near = near_ventricles(image.astype(np.float32), roi, (2.0, 2.0, 2.0), depth_mm=10.0)
    assert near.any() and not (near & ventricle).any()
    dist = np.sqrt((grid**2).sum(0))[near]
    assert dist.max() < 0.6  # close to the centre, far from the brain's edge


def test_tumour_centres_follow_the_centre_region():
    from medssl.synthesis import brain
    from medssl.synthesis.placement import place_tumours

    roi = np.ones((30, 30, 30), bool)
    centres = np.zeros_like(roi)
    centres[5, 5, 5] = True
    config = brain(volume_range_mm3=(30.0, 60.0), min_inside_fraction=0.1)
    shapes = place_tumours(
        np.random.default_rng(0), roi, (1.0, 1.0, 1.0), config, centre_roi=centres
    )
    assert np.allclose(shapes[0].params.centre_mm, [5.0, 5.0, 5.0])


def test_model_card_tells_the_simulated_size_range():
    from medssl.methods.ld.method import LayerDecomposition

    options = {"synthesis": {"volume_range_mm3": [50.0, 200000.0]}, "randomise": True}
    text = "\n".join(LayerDecomposition.card_lines(options))
    assert "0.05-200 cm³" in text and "bias_field" in text and "zscore" in text


def test_training_refuses_a_pool_scan_whose_mask_is_on_another_grid(pool, tmp_path):
    from medssl.config import TrainConfig

    _, records = pool
    shifted = AFFINE.copy()
    shifted[:3, 3] = [4.0, 0.0, 0.0]
    mask = write_nifti(tmp_path / "moved_mask.nii.gz", np.ones((28, 28, 24), np.uint8), shifted)
    bad = Record("bad", records[0].image, roi=mask)
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    with pytest.raises(MedsslError, match="moved_mask.nii.gz does not fit its image .*s0_flair"):
        _method(tmp_path).make_dataset([bad, records[1]], cfg, seed=0)


def test_after_synthesis_gives_the_tumour_the_scan_look_and_still_decomposes(pool, tmp_path):
    from medssl.config import TrainConfig

    _, records = pool
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    look = {"after_synthesis": True, "p_blur": 1.0, "p_bias_field": 1.0, "p_noise": 0.0}
    ds = _method(tmp_path, randomise=look).make_dataset(records[:2], cfg, seed=1)
    a, b = ds[3], ds[3]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert "scan" in ds.drawn(3) and "normal" not in ds.drawn(3)
    blurred = 0
    for item in (ds[i] for i in range(8)):
        m = item["m"] > 0
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        assert torch.allclose(x[m], item["x"][m], atol=1e-4)  # the layers re-compose the scan
        if m.any():  # the lesion's blur reaches outside its mask: x differs from x_n there
            rim = torch.nn.functional.max_pool3d(m[None].float(), 3, 1, 1)[0].bool() & ~m
            blurred += bool((item["x"][rim] - item["x_n"][rim]).abs().max() > 1e-3)
    assert blurred > 0
    with pytest.raises(MedsslError, match="after_synthesis must be true or false"):
        _method(tmp_path, randomise={"after_synthesis": "yes"})

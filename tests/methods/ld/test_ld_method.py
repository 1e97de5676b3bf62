"""The ld method: loss switches, reproducible items, simulated-only validation, a smoke run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zs_helpers import brain_like, write_nifti

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.losses import LDLossConfig, compose, ld_loss
from medssl.methods import create_method

SMALL_TUMOURS = {"volume_range_mm3": [300.0, 1500.0]}


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one torch thread is fastest, above all on a shared, busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _batch(seed: int = 0, n: int = 2, size: int = 8) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x_n = torch.randn(n, 1, size, size, size, generator=g)
    s = torch.randn(n, 1, size, size, size, generator=g) + 3
    m = torch.zeros(n, 1, size, size, size)
    m[:, :, 2:6, 2:6, 2:6] = 1
    s = s * m
    alpha = torch.tensor([0.6, 0.9])[:n]
    x = compose(x_n, s, m, alpha.reshape(n, 1, 1, 1, 1))
    return {"x": x, "x_n": x_n, "s": s, "m": m, "alpha": alpha, "real": torch.zeros(n)}


def _perfect(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    logit = torch.where(batch["m"] > 0, 30.0, -30.0)
    return torch.cat([batch["x_n"], batch["s"], logit], dim=1)


def test_perfect_decomposition_has_zero_loss():
    batch = _batch()
    total, logs = ld_loss(_perfect(batch), batch, LDLossConfig())
    assert logs["l_recon"] < 1e-6 and logs["l_normal"] < 1e-6 and logs["l_tumour"] < 1e-6
    assert logs["l_mask"] < 1e-3 and float(total) < 1e-3


@pytest.mark.parametrize(
    "term, switch, weight",
    [
        ("l_normal", "use_normal", "w_normal"),
        ("l_tumour", "use_tumour", "w_tumour"),
        ("l_mask", "use_mask", "w_mask"),
        ("l_recon", "use_recon", "w_recon"),
    ],
)
def test_each_switch_and_weight(term, switch, weight):
    batch = _batch()
    output = torch.randn(2, 3, 8, 8, 8, generator=torch.Generator().manual_seed(1))
    base, logs = ld_loss(output, batch, LDLossConfig())
    off, off_logs = ld_loss(output, batch, LDLossConfig(**{switch: False}))
    assert term not in off_logs
    assert float(base - off) == pytest.approx(logs[term], rel=1e-5)
    double, _ = ld_loss(output, batch, LDLossConfig(**{weight: 3.0}))
    assert float(double - base) == pytest.approx(2 * logs[term], rel=1e-5)


def test_tumour_region_and_emphasis():
    batch = _batch()
    output = _perfect(batch).clone()
    output[:, 1] += 1.0  # tumour layer off by one everywhere
    cfg = LDLossConfig(emphasis=False)
    assert ld_loss(output, batch, cfg)[1]["l_tumour"] == pytest.approx(1.0)
    assert ld_loss(output, batch, cfg.replace(tumour_region="mask"))[1][
        "l_tumour"
    ] == pytest.approx(1.0)
    assert ld_loss(output, batch, LDLossConfig())[1]["l_tumour"] == pytest.approx(2.0)


def test_real_scans_use_reconstruction_only_with_alpha_one():
    batch = _batch()
    batch["real"] = torch.ones(2)
    output = torch.randn(2, 3, 8, 8, 8)
    _, logs = ld_loss(output, batch, LDLossConfig())
    assert set(logs) == {"l_recon", "loss"}
    expected = (
        (compose(output[:, :1], output[:, 1:2], torch.sigmoid(output[:, 2:]), 1.0) - batch["x"])
        .abs()
        .mean()
    )
    assert logs["l_recon"] == pytest.approx(float(expected), rel=1e-5)
    loss, _ = ld_loss(output.requires_grad_(), batch, LDLossConfig(use_recon=False))
    loss.backward()  # a zero loss that still backpropagates


def test_ablation_rows():
    assert not LDLossConfig.ablation("B0").use_normal
    assert LDLossConfig.ablation("B3", w_mask=2.0).w_mask == 2.0
    with pytest.raises(MedsslError, match="unknown ablation 'B9'"):
        LDLossConfig.ablation("B9")


@pytest.mark.parametrize(
    "kwargs, rule",
    [
        ({"w_mask": -1.0}, "w_mask must be a finite number >= 0"),
        ({"tumour_region": "inside"}, "tumour_region must be one of"),
        (
            {"use_normal": False, "use_tumour": False, "use_mask": False, "use_recon": False},
            "at least one",
        ),
    ],
)
def test_bad_loss_config(kwargs, rule):
    with pytest.raises(MedsslError, match=rule):
        LDLossConfig(**kwargs)


# ------------------------------------------------------------------------- dataset


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flair")
    out = []
    for k in range(2):
        image, _ = brain_like(shape=(28, 28, 24), seed=k)
        path = write_nifti(folder / f"case{k}.nii.gz", image, np.diag([2.0, 2.0, 2.0, 1.0]))
        # The label path does not exist: nothing in ld may ever read labels.
        out.append(Record(f"case{k}", path, label=folder / "never_read.nii.gz"))
    return out


def _method(tmp_path, **kwargs):
    options = {
        "patch_size": 16,
        "synthesis": SMALL_TUMOURS,
        "cache_dir": str(tmp_path / "cache"),
        "val_samples": 3,
    }
    return create_method("ld", **(options | kwargs))


def test_items_are_reproducible_and_shaped(tmp_path, records):
    from medssl.config import TrainConfig

    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = _method(tmp_path, real_fraction=0.3).make_dataset(records, cfg, seed=5)
    a, b, c = ds[4], ds[4], ds[5]
    assert set(a) == {"x", "x_n", "s", "m", "alpha", "real"}
    assert a["x"].shape == (1, 16, 16, 16) and a["alpha"].shape == ()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["x"], c["x"])
    synthetic = [ds[i] for i in range(12) if ds[i]["real"] == 0]
    assert any(item["m"].sum() > 0 for item in synthetic)
    for item in synthetic:  # the targets re-compose the input exactly
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        assert torch.allclose(x, item["x"], atol=1e-5)


def test_validate_uses_only_fixed_simulated_samples(tmp_path, records, monkeypatch):
    import medssl.io
    from medssl.config import TrainConfig
    from medssl.models import create_model

    def no_labels(*args, **kwargs):
        raise AssertionError("validate must not read labels")

    monkeypatch.setattr(medssl.io, "read_label", no_labels)
    method = _method(tmp_path, real_fraction=0.5)
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    method.make_dataset(records, cfg, seed=0)
    first = method.validation_set()
    assert len(first) == 3 and all(float(it["real"]) == 0 for it in first)
    assert method.validation_set() is first
    torch.manual_seed(0)
    model = create_model("unet3d_tiny", in_channels=1, out_channels=3, num_levels=2).eval()
    metrics = method.validate(model, cfg)
    assert set(metrics) == {"val_loss", "val_dice_sim"} and 0 <= metrics["val_dice_sim"] <= 1
    assert method.validate(model, cfg) == metrics


def test_empty_fraction_leaves_normal_crops_and_reports_their_volume(tmp_path, records):
    from medssl.config import TrainConfig

    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    plain = _method(tmp_path).make_dataset(records, cfg, seed=5)
    off = _method(tmp_path, empty_fraction=0.0).make_dataset(records, cfg, seed=5)
    assert all(torch.equal(plain[i]["x"], off[i]["x"]) for i in range(4))  # stream unchanged
    method = _method(tmp_path, empty_fraction=0.5, val_samples=8)
    ds = method.make_dataset(records, cfg, seed=5)
    items = [ds[i] for i in range(16)]
    empty = [it for it in items if it["m"].sum() == 0]
    assert 0 < len(empty) < len(items)
    for it in empty:  # the input is the normal crop itself
        assert torch.equal(it["x"], it["x_n"]) and float(it["alpha"]) == 0

    class Everywhere(torch.nn.Module):  # marks every voxel as tumour
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return torch.cat([x, torch.zeros_like(x), torch.full_like(x, 10.0)], dim=1)

    metrics = method.validate(Everywhere(), cfg)
    crop_ml = 16**3 * 2.0**3 / 1000  # a whole 16³ crop at 2 mm
    assert metrics["val_fp_sim_ml"] == pytest.approx(crop_ml)


def test_method_options_are_checked():
    with pytest.raises(MedsslError, match="real_fraction must be in"):
        create_method("ld", real_fraction=2.0)
    with pytest.raises(MedsslError, match="empty_fraction must be in"):
        create_method("ld", empty_fraction=1.0)
    with pytest.raises(MedsslError, match="needs the reconstruction loss"):
        create_method("ld", real_fraction=0.5, loss={"use_recon": False})
    with pytest.raises(MedsslError, match="unknown layer-decomposition preset 'lung'"):
        create_method("ld", preset="lung")
    from medssl.methods.base import check_input_sizes

    with pytest.raises(MedsslError, match="multiples of 8"):
        check_input_sizes(create_method("ld", patch_size=20), "unet3d", {})


def test_liver_preset_needs_an_organ_map(tmp_path, records):
    from medssl.config import TrainConfig

    method = create_method("ld", preset="liver_ct", cache_dir=str(tmp_path / "c"))
    with pytest.raises(MedsslError, match="needs an organ label map"):
        method.make_dataset(records, TrainConfig(method="ld"), seed=0)


def test_smoke_training_through_the_engine(tmp_path, records):
    from medssl.config import TrainConfig
    from medssl.engine.pretrain import pretrain
    from medssl.inference.ld_model import load_ld_model

    cfg = TrainConfig(
        method="ld",
        model="unet3d_tiny",
        model_kwargs={"base_width": 2, "num_levels": 2},
        method_options={
            "patch_size": 16,
            "synthesis": SMALL_TUMOURS,
            "val_samples": 2,
            "cache_dir": str(tmp_path / "cache"),
            "real_fraction": 0.25,
        },
        out=str(tmp_path / "run"),
        steps=4,
        batch_size=2,
        precision="fp32",
        num_workers=0,
        val_every=2,
        ckpt_every=0,
        log_every=1,
        progress=False,
        seed=3,
    )
    result = pretrain(cfg, records)
    assert result.step == 4 and all(np.isfinite(result.losses))
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
    loaded = load_ld_model(tmp_path / "run" / "model.pt")
    assert loaded.preset.patch_size == (16, 16, 16) and loaded.model.out_channels == 3
    # a copy outside its run folder (no config.yaml beside it) carries its own preset
    import shutil

    from medssl.models import load_weights

    (tmp_path / "elsewhere").mkdir()
    copy = shutil.copy(tmp_path / "run" / "model.pt", tmp_path / "elsewhere" / "model.pt")
    assert load_ld_model(copy).preset.patch_size == (16, 16, 16)
    extra = load_weights(copy).extra
    assert extra["ld"]["name"] == "brain_flair" and extra["threshold"] == 0.5
    # the shipped file is packaged from the label-free best checkpoint, not the last step
    from medssl.engine.checkpoint import load_checkpoint
    from medssl.zeroshot.package import package_weights

    best = tmp_path / "run" / "checkpoints" / "best.pt"
    shipped = package_weights(tmp_path / "run" / "model.pt", tmp_path / "ship.pt", checkpoint=best)
    packed = load_ld_model(shipped)
    state = load_checkpoint(best)["model_state"]
    for key, value in packed.model.state_dict().items():
        torch.testing.assert_close(value, state[key])
    assert packed.preset.patch_size == (16, 16, 16)


def test_lesion_fill_cleans_normals_and_real_items_keep_the_raw_scan(tmp_path, records):
    from medssl.config import TrainConfig

    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = _method(tmp_path, real_fraction=0.5, lesion_fill=True).make_dataset(records, cfg, 0)
    for v in ds.volumes:  # brain_like's bright blob sits off the midline: a 'lesion'
        assert v.raw is not None and v.raw.max() > v.image.max()
    raw_max = max(float(v.raw.max()) for v in ds.volumes)
    clean_max = max(float(v.image.max()) for v in ds.volumes)
    items = [ds[i] for i in range(16)]
    real = [it for it in items if it["real"] == 1]
    synthetic = [it for it in items if it["real"] == 0]
    assert real and synthetic
    assert all(float(it["x_n"].max()) <= clean_max + 1e-5 for it in synthetic)
    assert any(float(it["x"].max()) > clean_max + 1e-3 for it in real)
    assert raw_max > clean_max


def test_lesion_fill_ids_limit_the_fill_to_those_records(tmp_path, records):
    from medssl.config import TrainConfig

    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    method = _method(tmp_path, lesion_fill=True, lesion_fill_ids=["case1"])
    ds = method.make_dataset(records, cfg, 0)
    assert ds.volumes[0].raw is None and ds.volumes[1].raw is not None
    with pytest.raises(MedsslError, match="no record has the id\\(s\\) case9"):
        _method(tmp_path, lesion_fill=True, lesion_fill_ids=["case9"]).make_dataset(records, cfg, 0)
    with pytest.raises(MedsslError, match="needs lesion_fill on"):
        create_method("ld", lesion_fill_ids=["case1"])
    with pytest.raises(MedsslError, match="must be a list of texts"):
        create_method("ld", lesion_fill=True, lesion_fill_ids="case1")


def test_ct_presets_take_the_ct_lesion_fill_options():
    assert create_method("ld", preset="liver_ct", lesion_fill=True).lesion_fill is not None
    with pytest.raises(MedsslError, match="unknown CT lesion_fill option"):
        create_method("ld", preset="liver_ct", lesion_fill={"max_mirrored": 0.5})


def test_texture_data_adds_donors_that_are_never_normal_layers(tmp_path, records):
    from medssl.config import TrainConfig

    folder = tmp_path / "donor"
    folder.mkdir()
    image, _ = brain_like(shape=(28, 28, 24), seed=7)
    image = image * 3.0  # a donor brighter than every normal volume
    write_nifti(folder / "scan.nii.gz", image, np.diag([2.0, 2.0, 2.0, 1.0]))
    write_nifti(
        folder / "organ.nii.gz", (image > 0).astype(np.uint8), np.diag([2.0, 2.0, 2.0, 1.0])
    )
    texture = {"data": str(folder / "scan.nii.gz"), "roi_rule": "organ.nii.gz",
               "preset": "brain_flair"}  # fmt: skip
    cfg = TrainConfig(method="ld", model="unet3d_tiny")
    ds = _method(tmp_path, texture_data=texture).make_dataset(records[:1], cfg, seed=0)
    assert len(ds.volumes) == 1 and len(ds.textures) == 1
    items = [ds[i] for i in range(8)]
    assert any(float(it["m"].sum()) > 0 for it in items)
    normal_max = float(ds.volumes[0].image.max())
    assert all(float(it["x_n"].max()) <= normal_max + 1e-5 for it in items)


@pytest.mark.parametrize(
    "texture, rule",
    [
        ("spleen.nii.gz", "must be a mapping"),
        ({"data": "x", "roi_rule": "y"}, "missing \\['preset'\\]"),
        ({"data": "x", "roi_rule": "y", "preset": "spleen_ct"}, "is CT, but preset 'brain_flair'"),
        ({"data": "x", "roi_rule": "y", "preset": "lung"}, "unknown layer-decomposition preset"),
    ],
)
def test_bad_texture_data(texture, rule):
    with pytest.raises(MedsslError, match=rule):
        create_method("ld", texture_data=texture)

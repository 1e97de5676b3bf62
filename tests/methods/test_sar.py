"""SAR as a registered method: heads and ablations, three learning rates, MIAL min-max."""

from __future__ import annotations

import copy
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from medssl.config import TrainConfig, load_config
from medssl.data import Record
from medssl.engine import build_optimizers
from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.models import create_model, load_encoder_weights
from medssl.models.mial import MIAL, reverse_gradient

REPO = Path(__file__).resolve().parents[2]
CFG = TrainConfig(method="sar", model="unet3d_tiny")
TINY = {"out_shape": [16, 16, 16], "preprocess": {"preset": "none"}}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_records(
    folder: Path, modalities=("CT", "MR", "CT", "MR"), shape=(32, 32, 32)
) -> list[Record]:
    recs = []
    for i, modality in enumerate(modalities):
        r = np.random.default_rng(i)
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
        blob = np.exp(-(grid**2).sum(0) * (2 + i))
        image = 800 * blob - 200 + r.normal(0, 30, shape) if modality == "CT" else 100 * blob
        path = folder / f"case{i}.nii.gz"
        nib.save(nib.Nifti1Image(image.astype(np.float32), np.eye(4)), path)
        recs.append(Record(f"case{i}", path, modality=modality))
    return recs


def batch_of(method, recs, n: int = 4, seed: int = 0):
    dataset = method.make_dataset(recs, CFG, seed)
    return default_collate([dataset[i] for i in range(n)])


def test_builds_unet_scale_head_and_mial():
    method = create_method("sar")
    model = method.build_model(CFG)
    out = model(torch.rand(2, 1, 16, 16, 16))
    assert out.restored.shape == (2, 1, 16, 16, 16)
    assert out.scale.shape == (2, 3) and out.modality.shape == (2, 2)
    assert method.encoder_of(model) is model.unet.encoder


@pytest.mark.parametrize(
    "options, scale, mial",
    [
        ({"use_mial": False}, True, False),
        ({"use_scale": False}, False, True),
        (
            {"scales": [0.25], "scale_probs": [1.0], "use_scale": False, "use_mial": False},
            False,
            False,
        ),
    ],
)
def test_ablation_switches(options, scale, mial):
    method = create_method("sar", **options)
    model = method.build_model(CFG)
    assert (model.scale_head is not None, model.mial is not None) == (scale, mial)
    expected = {"unet"} | ({"scale"} if scale else set()) | ({"mial"} if mial else set())
    assert set(build_optimizers(model, method, CFG)) == expected


def test_scale_head_with_one_scale_is_an_error():
    with pytest.raises(MedsslError, match="scale head needs at least two scales"):
        create_method("sar", scales=[0.25], scale_probs=[1.0])
    with pytest.raises(MedsslError, match=r"adversary must be one of \['confusion', 'reversal'\]"):
        create_method("sar", adversary="grl")


def test_three_optimizers_get_the_paper_learning_rates():
    cfg = load_config(REPO / "configs" / "sar.yaml", {"model": "unet3d_tiny"})
    method = create_method(cfg.method, **cfg.method_options)
    optimizers = build_optimizers(method.build_model(cfg), method, cfg)
    lrs = {name: opt.param_groups[0]["lr"] for name, opt in optimizers.items()}
    assert lrs == {"unet": 1.0, "scale": 0.1, "mial": 1e-3}
    assert all(isinstance(opt, torch.optim.SGD) for opt in optimizers.values())


def test_items_are_reproducible_and_carry_scale_and_modality(tmp_path):
    method, recs = create_method("sar", **TINY), write_records(tmp_path)
    first, again = batch_of(method, recs), batch_of(method, recs)
    assert first["input"].shape == (4, 1, 16, 16, 16)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert first["modality"].tolist() == [0, 1, 0, 1]
    assert set(first["scale"].tolist()) <= {0, 1, 2}
    assert not torch.equal(first["input"], batch_of(method, recs, seed=1)["input"])


@pytest.mark.parametrize(
    "modalities, match",
    [
        (("MR", "FLAIR"), "MIAL needs both CT and MR volumes; all 2 are MR"),
        (("CT", None), "MIAL needs the modality"),
    ],
)
def test_mial_is_turned_off_with_a_warning(tmp_path, modalities, match):
    method = create_method("sar", **TINY)
    recs = write_records(tmp_path, modalities=modalities)
    with pytest.warns(UserWarning, match=match):
        batch = batch_of(method, recs, n=2)
    assert not method.adversary_on and "modality" not in batch
    loss, logs = method.loss(method.build_model(CFG), batch)
    assert torch.isfinite(loss) and "l_adv" not in logs and "l_scale" in logs


def test_loss_is_finite_and_decreases(tmp_path):
    method = create_method("sar", **TINY, use_mial=False)
    batch = batch_of(method, write_records(tmp_path))
    torch.manual_seed(0)
    model = method.build_model(CFG)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(6):
        optimizer.zero_grad()
        loss, logs = method.loss(model, batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert set(logs) == {"l_res", "l_scale"}


@pytest.mark.parametrize("adversary", ["confusion", "reversal"])
def test_objective_is_l_adv_plus_alpha_scale_plus_beta_res(tmp_path, adversary):
    recs = write_records(tmp_path)
    torch.manual_seed(0)
    options = {**TINY, "adversary": adversary}
    model = create_method("sar", **options, adv_weight=0.5).build_model(CFG).eval()
    batch = batch_of(create_method("sar", **options), recs)
    method = create_method("sar", **options, alpha=2.0, beta=3.0, adv_weight=0.5)
    method.make_dataset(recs, CFG, 0)
    loss, logs = method.loss(model, batch)
    expected = logs["l_adv"] + 2.0 * logs["l_scale"] + 3.0 * logs["l_res"]
    if adversary == "confusion":
        expected += 0.5 * logs["l_conf"]
        assert logs["l_conf"] >= np.log(2) - 1e-6  # cross-entropy to uniform, least at log 2
    else:
        assert "l_conf" not in logs
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-5)


def test_confusion_trains_mial_on_l_adv_and_the_encoder_on_l_conf_alone(tmp_path):
    method = create_method("sar", **TINY, use_scale=False)
    batch = batch_of(method, write_records(tmp_path))
    torch.manual_seed(0)
    model = method.build_model(CFG).eval()

    def grads(term: str | None):
        model.zero_grad()
        loss, _ = method.loss(model, batch)
        out = model(batch["input"])
        if term == "l_adv":
            loss = torch.nn.functional.cross_entropy(out.modality, batch["modality"])
        elif term == "rest":  # everything but MIAL's own loss
            loss = loss - torch.nn.functional.cross_entropy(out.modality, batch["modality"])
        loss.backward()
        return (
            [None if p.grad is None else p.grad.clone() for p in model.unet.encoder.parameters()],
            [None if p.grad is None else p.grad.clone() for p in model.mial.parameters()],
        )

    total, only_adv, rest = grads(None), grads("l_adv"), grads("rest")
    assert all(g is None for g in only_adv[0])  # MIAL's loss never reaches the encoder
    assert all(g is None or not g.any() for g in rest[1])  # nor the encoder's loss MIAL
    for got, want in zip(total[1], only_adv[1]):
        torch.testing.assert_close(got, want)
    for got, want in zip(total[0], rest[0]):
        torch.testing.assert_close(got, want)

    # a step of the encoder on L_conf alone brings MIAL's guess towards uniform
    def l_conf():
        confusion = model(batch["input"]).confusion
        return -torch.nn.functional.log_softmax(confusion, dim=1).mean()

    model.zero_grad()
    before = l_conf()
    before.backward()
    with torch.no_grad():
        for p in model.unet.encoder.parameters():
            p -= 0.05 * p.grad
        after = l_conf()
    assert np.log(2) - 1e-6 <= float(after) < float(before.detach())


def test_adversarial_step_moves_encoder_and_discriminator_in_opposite_directions(tmp_path):
    method = create_method("sar", **TINY, use_scale=False, adversary="reversal")
    batch = batch_of(method, write_records(tmp_path))
    torch.manual_seed(0)
    model = method.build_model(CFG).eval()  # fixed BN statistics: same loss for same weights

    def l_adv(net):
        out = net(batch["input"])
        return torch.nn.functional.cross_entropy(out.modality, batch["modality"])

    def after_step(part: str) -> float:
        net = copy.deepcopy(model)
        l_adv(net).backward()
        params = net.unet.encoder.parameters() if part == "encoder" else net.mial.parameters()
        with torch.no_grad():
            for p in params:
                p -= 0.05 * p.grad  # one SGD step on the total gradient, for this part only
        with torch.no_grad():
            return float(l_adv(net))

    with torch.no_grad():
        start = float(l_adv(model))
    assert after_step("mial") < start < after_step("encoder")


def test_gradient_reversal_flips_only_the_encoder_gradient(tmp_path):
    method = create_method("sar", **TINY, use_scale=False, adversary="reversal")
    batch = batch_of(method, write_records(tmp_path))
    torch.manual_seed(0)
    model = method.build_model(CFG).eval()
    grads = {}
    for weight in (1.0, -1.0):  # -1: plain backpropagation through the layer
        model.zero_grad()
        model.reversal = weight
        out = model(batch["input"])
        torch.nn.functional.cross_entropy(out.modality, batch["modality"]).backward()
        grads[weight] = (
            [p.grad.clone() for p in model.unet.encoder.parameters()],
            [p.grad.clone() for p in model.mial.parameters()],
        )
    for reversed_, plain in zip(grads[1.0][0], grads[-1.0][0]):
        torch.testing.assert_close(reversed_, -plain)
    for reversed_, plain in zip(grads[1.0][1], grads[-1.0][1]):
        torch.testing.assert_close(reversed_, plain)


def test_mial_pools_every_level_to_the_coarsest():
    features = [
        torch.rand(2, c, s, s, s, requires_grad=True) for c, s in ((4, 16), (8, 8), (16, 4))
    ]
    mial = MIAL([4, 8, 16], width=8, hidden=8)
    assert mial(features).shape == (2, 2)
    with pytest.raises(MedsslError, match="MIAL levels must be indices in 0..2"):
        MIAL([4, 8, 16], levels=[3])
    x = torch.ones(3, requires_grad=True)
    reverse_gradient(x, 0.5).sum().backward()
    assert x.grad.tolist() == [-0.5, -0.5, -0.5]


def test_validate_leaves_the_adversary_out(tmp_path):
    method = create_method("sar", **TINY, val_items=3)
    method.make_dataset(write_records(tmp_path), CFG, 0)
    model = method.build_model(CFG).eval()
    with torch.no_grad():
        first, again = method.validate(model, CFG), method.validate(model, CFG)
    assert np.isfinite(first["val_loss"]) and first == again


def test_volume_smaller_than_the_cube_without_padding_is_a_clear_error(tmp_path):
    recs = write_records(tmp_path, modalities=("CT", "MR"), shape=(32, 12, 32))
    dataset = create_method("sar", **TINY).make_dataset(recs, CFG, 0)
    with pytest.raises(MedsslError, match=r"smaller than the cube size \(16, 16, 16\) on axis 1"):
        dataset[0]
    padded = create_method("sar", **TINY, pad=True).make_dataset(recs, CFG, 0)
    assert padded[0]["input"].shape == (1, 16, 16, 16)


def test_cli_pretrain_on_ct_and_mr(tmp_path, monkeypatch):
    from medssl.cli.main import main

    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    recs = write_records(tmp_path)
    table = tmp_path / "data.csv"
    table.write_text("image,modality\n" + "".join(f"{r.image.name},{r.modality}\n" for r in recs))
    run = tmp_path / "run"
    args = f"""pretrain --method sar {table} --out {run} --steps 3 --batch-size 2
        --num-workers 0 --precision fp32 --lr 0.01 --set optimizer=sgd --set model=unet3d_tiny
        --set progress=false""".split()
    options = "{out_shape: [16, 16, 16], preprocess: {grid: 32}}"
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--set", f"method_options={options}"])
    assert exit_info.value.code in (0, None)
    header, last = (run / "log.csv").read_text().splitlines()[-2:]
    row = dict(zip(header.split(","), last.split(",")))
    assert row["step"] == "3" and np.isfinite(float(row["loss"]))
    assert {"l_adv", "l_scale", "l_res"} <= set(row)
    lrs = {name: float(row[f"lr_{name}"]) for name in ("unet", "scale", "mial")}
    assert lrs == {"unet": 0.01, "scale": 0.1, "mial": 1e-3}
    load_encoder_weights(create_model("unet3d_tiny", out_channels=2), run / "encoder.pt")

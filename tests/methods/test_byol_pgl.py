"""BYOL and PGL as registered methods: items, losses, EMA target, ablations, CLI runs."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.methods.ema import cosine_momentum
from medssl.models import create_model, load_encoder_weights

INPUT = [32, 32, 16]
TINY = {
    "input_shape": INPUT,
    "hidden": 16,
    "out": 8,
    "preprocess": {"preset": "none"},
}
CFG = SimpleNamespace(model="resnet3d_tiny", model_kwargs={"output_stride": [16, 16, 8]}, steps=10)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def volumes(n: int = 2) -> list[np.ndarray]:
    out = []
    for i in range(n):
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in (56, 52, 30)], indexing="ij"))
        noise = np.random.default_rng(i).normal(0, 0.1, grid.shape[1:])
        out.append((np.exp(-(grid**2).sum(0) * (1 + i)) + noise).astype(np.float32))
    return out


def batch_of(method, n: int = 2) -> dict[str, torch.Tensor]:
    from medssl.views import make_pgl_dataset

    data = make_pgl_dataset(volumes(), seed=0, length=n, config=method.view)
    return default_collate([data[i] for i in range(n)])


@pytest.mark.parametrize("name", ["byol", "pgl"])
def test_loss_backward_and_ema(name):
    torch.manual_seed(0)
    options = dict(TINY, local_hidden=16) if name == "pgl" else TINY
    method = create_method(name, **options)
    model = method.build_model(CFG)
    loss, logs = method.loss(model, batch_of(method))
    assert torch.isfinite(loss) and 0 <= loss.item() <= (16 if name == "pgl" else 8)
    assert logs["global_std"] > 0
    if name == "pgl":
        assert {"loss_local", "local_std"} <= set(logs) and logs["local_std"] > 0
    loss.backward()
    assert all(p.grad is None for p in model.target.parameters())
    assert model.encoder.stem[0][0].weight.grad is not None
    before = model.target["encoder"].stem[0][0].weight.clone()
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.add_(1.0)
    method.on_step_end(model, 1)
    after = model.target["encoder"].stem[0][0].weight
    tau = cosine_momentum(1, 10)
    torch.testing.assert_close(
        after, before + (1 - tau) * (model.encoder.stem[0][0].weight - before)
    )


def test_cosine_momentum_schedule():
    assert cosine_momentum(0, 100) == pytest.approx(0.996)
    assert cosine_momentum(50, 100) == pytest.approx(0.998)
    assert cosine_momentum(100, 100) == pytest.approx(1.0)


@pytest.mark.parametrize("ablation", ["no_f", "no_cs", "no_f_cs"])
def test_ablations_run(ablation):
    method = create_method("pgl", **TINY, local_hidden=16, ablation=ablation, global_weight=0)
    model = method.build_model(CFG)
    assert model.projector is None
    loss, logs = method.loss(model, batch_of(method))
    assert torch.isfinite(loss) and "loss_global" not in logs


def test_bad_options():
    with pytest.raises(MedsslError, match="unknown ablation 'no_x'"):
        create_method("pgl", ablation="no_x")
    with pytest.raises(MedsslError, match="unknown views option 'flip'"):
        create_method("byol", views={"flip": 0.5})
    method = create_method("pgl", **TINY)
    cfg = SimpleNamespace(model="resnet3d_tiny", model_kwargs={"output_stride": 32}, steps=1)
    with pytest.raises(MedsslError, match=r"output stride \(32, 32, 32\) must divide"):
        method.build_model(cfg)


def write_ct(folder: Path, n: int = 2) -> list[Path]:
    paths = []
    for i in range(n):
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in (40, 40, 20)], indexing="ij"))
        hu = (
            -1000
            + 1100 * (np.exp(-(grid**2).sum(0) * 2) > 0.3)
            + np.random.default_rng(i).normal(0, 20, grid.shape[1:])
        )
        path = folder / f"ct{i}.nii.gz"
        nib.save(nib.Nifti1Image(hu.astype(np.int16), np.diag([3.0, 3.0, 4.0, 1.0])), path)
        paths.append(path)
    return paths


@pytest.mark.parametrize("name", ["byol", "pgl"])
def test_cli_pretrain_on_ct_exports_an_encoder(tmp_path, monkeypatch, name):
    from medssl.cli.main import main

    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    paths = write_ct(tmp_path)
    run = tmp_path / "run"
    options = "{input_shape: [32, 32, 16], hidden: 16, out: 8, preprocess: {grid: [48, 48, 24], target_spacing: 3.0}}"
    args = f"""pretrain --method {name} {paths[0]} {paths[1]} --modality CT --out {run}
        --steps 2 --batch-size 2 --num-workers 0 --precision bf16 --set model=resnet3d_tiny
        --set progress=false --set log_every=1 --set optimizer=lars --set lr=0.02
        --set model_kwargs.output_stride=[16,16,8]""".split()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--set", f"method_options={options}"])
    assert exit_info.value.code in (0, None)
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert rows[-1]["step"] == "2"
    key = "local_std" if name == "pgl" else "global_std"
    assert float(rows[-1][key]) > 0
    load_encoder_weights(create_model("resnet3d_tiny", output_stride=16), run / "encoder.pt")

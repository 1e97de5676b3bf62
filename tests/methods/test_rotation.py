"""Rotation prediction as a registered method: model, reproducible items, loss, errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.models import create_model, load_encoder_weights
from medssl.transforms import N_ROTATIONS

CFG = SimpleNamespace(model="unet3d_tiny", model_kwargs={})
TINY = {"size": 16, "hidden": 32, "preprocess": {"preset": "none"}}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_records(folder: Path, shape=(24, 24, 24), n: int = 2) -> list[Record]:
    recs = []
    for i in range(n):
        image = np.random.default_rng(i).normal(0, 1, shape).cumsum(axis=0)
        path = folder / f"ct{i}.nii.gz"
        nib.save(nib.Nifti1Image(image.astype(np.float32), np.eye(4)), path)
        recs.append(Record(f"ct{i}", path, modality="CT"))
    return recs


def test_builds_a_classifier_on_the_unet_encoder():
    method = create_method("rotation", hidden=32)
    model = method.build_model(CFG)
    assert method.encoder_of(model) is model.encoder
    assert model.encoder.out_channels == [4, 8, 16, 32]
    assert model(torch.rand(2, 1, 1, 16, 16, 16)).shape == (2, N_ROTATIONS)


def test_items_are_reproducible_from_seed_and_index(tmp_path):
    method, recs = create_method("rotation", **TINY), write_records(tmp_path)
    dataset, again = method.make_dataset(recs, CFG, 3), method.make_dataset(recs, CFG, 3)
    item = dataset[4]
    assert item["input"].shape == (1, 16, 16, 16) and 0 <= int(item["label"]) < N_ROTATIONS
    assert torch.equal(item["input"], again[4]["input"]) and item["label"] == again[4]["label"]
    assert not torch.equal(item["input"], dataset[5]["input"])


def test_loss_is_finite_and_decreases(tmp_path):
    method = create_method("rotation", **TINY)
    dataset = method.make_dataset(write_records(tmp_path), CFG, 0)
    batch = default_collate([dataset[i] for i in range(4)])
    torch.manual_seed(0)
    model = method.build_model(CFG)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(6):
        optimizer.zero_grad()
        loss, logs = method.loss(model, batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert set(logs) == {"ce", "accuracy"}


def test_small_volume_without_padding_is_a_clear_error(tmp_path):
    recs = write_records(tmp_path, shape=(24, 24, 10))
    with pytest.raises(MedsslError, match=r"smaller than the cube size \(16, 16, 16\) on axis 2"):
        create_method("rotation", **TINY).make_dataset(recs, CFG, 0)[0]
    padded = create_method("rotation", **TINY, pad=True).make_dataset(recs, CFG, 0)
    assert padded[0]["input"].shape == (1, 16, 16, 16)


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(
        MedsslError, match="unknown option 'cube' for method 'rotation'; valid: size"
    ):
        create_method("rotation", cube=16)


def test_cli_pretrain_exports_the_encoder(tmp_path, monkeypatch):
    from medssl.cli.main import main

    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    recs = write_records(tmp_path)
    run = tmp_path / "run"
    args = f"""pretrain --method rotation {recs[0].image} {recs[1].image} --modality CT
        --out {run} --steps 2 --batch-size 2 --num-workers 0 --precision fp32
        --set model=unet3d_tiny --set progress=false""".split()
    options = "{size: 16, hidden: 32, preprocess: {grid: 24, target_spacing: 1.0}}"
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--set", f"method_options={options}"])
    assert exit_info.value.code in (0, None)
    assert "accuracy" in (run / "log.csv").read_text().splitlines()[0]
    load_encoder_weights(create_model("unet3d_tiny"), run / "encoder.pt")

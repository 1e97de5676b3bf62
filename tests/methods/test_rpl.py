"""Relative patch location as a registered method: Siamese model, items, loss, errors."""

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
from medssl.transforms import N_NEIGHBOURS

CFG = SimpleNamespace(model="unet3d_tiny", model_kwargs={})
TINY = {"cell": 10, "patch": 8, "hidden": 32, "preprocess": {"preset": "none"}}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_records(folder: Path, shape=(32, 32, 32), n: int = 2) -> list[Record]:
    recs = []
    for i in range(n):
        image = np.random.default_rng(i).normal(0, 1, shape).cumsum(axis=2)
        path = folder / f"ct{i}.nii.gz"
        nib.save(nib.Nifti1Image(image.astype(np.float32), np.eye(4)), path)
        recs.append(Record(f"ct{i}", path, modality="CT"))
    return recs


def test_builds_a_siamese_classifier_over_two_patches():
    method = create_method("rpl", **TINY)
    model = method.build_model(CFG)
    assert model.n_tiles == 2 and method.encoder_of(model) is model.encoder
    assert model(torch.rand(3, 2, 1, 8, 8, 8)).shape == (3, N_NEIGHBOURS)


def test_items_are_reproducible_from_seed_and_index(tmp_path):
    method, recs = create_method("rpl", **TINY), write_records(tmp_path)
    dataset, again = method.make_dataset(recs, CFG, 5), method.make_dataset(recs, CFG, 5)
    item = dataset[1]
    assert item["centre"].shape == item["query"].shape == (1, 8, 8, 8)
    assert 0 <= int(item["label"]) < N_NEIGHBOURS
    assert all(torch.equal(item[k], again[1][k]) for k in item)
    assert not torch.equal(item["query"], dataset[2]["query"])


def test_loss_is_finite_and_decreases(tmp_path):
    method = create_method("rpl", **TINY)
    dataset = method.make_dataset(write_records(tmp_path), CFG, 0)
    batch = default_collate([dataset[i] for i in range(4)])
    torch.manual_seed(0)
    model = method.build_model(CFG)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(6):
        optimizer.zero_grad()
        loss, _ = method.loss(model, batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_small_volume_without_padding_is_a_clear_error(tmp_path):
    recs = write_records(tmp_path, shape=(32, 20, 32))
    with pytest.raises(MedsslError, match=r"smaller than the cube size \(30, 30, 30\) on axis 1"):
        create_method("rpl", **TINY).make_dataset(recs, CFG, 0)[0]
    padded = create_method("rpl", **TINY, pad=True).make_dataset(recs, CFG, 0)
    assert padded[0]["centre"].shape == (1, 8, 8, 8)

"""3D jigsaw as a registered method: Siamese model, reproducible puzzles, loss, errors."""

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

CFG = SimpleNamespace(model="unet3d_tiny", model_kwargs={})
TINY = {
    "grid": 2,
    "cell": 10,
    "tile": 8,
    "n_permutations": 6,
    "hidden": 32,
    "preprocess": {"preset": "none"},
}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_records(folder: Path, shape=(24, 24, 24), n: int = 2) -> list[Record]:
    recs = []
    for i in range(n):
        image = np.random.default_rng(i).normal(0, 1, shape).cumsum(axis=1)
        path = folder / f"mr{i}.nii.gz"
        nib.save(nib.Nifti1Image(image.astype(np.float32), np.eye(4)), path)
        recs.append(Record(f"mr{i}", path, modality="MR"))
    return recs


def test_builds_a_siamese_classifier_over_every_tile():
    method = create_method("jigsaw", **TINY)
    model = method.build_model(CFG)
    assert model.n_tiles == 8 and method.encoder_of(model) is model.encoder
    assert model(torch.rand(3, 8, 1, 8, 8, 8)).shape == (3, 6)
    with pytest.raises(MedsslError, match=r"expected tiles of shape \(N, 8, C, X, Y, Z\)"):
        model(torch.rand(3, 4, 1, 8, 8, 8))


def test_items_are_reproducible_from_seed_and_index(tmp_path):
    method, recs = create_method("jigsaw", **TINY), write_records(tmp_path)
    dataset, again = method.make_dataset(recs, CFG, 1), method.make_dataset(recs, CFG, 1)
    item = dataset[2]
    assert item["tiles"].shape == (8, 1, 8, 8, 8) and 0 <= int(item["label"]) < 6
    assert torch.equal(item["tiles"], again[2]["tiles"]) and item["label"] == again[2]["label"]
    assert not torch.equal(item["tiles"], dataset[3]["tiles"])


def test_loss_is_finite_and_decreases(tmp_path):
    method = create_method("jigsaw", **TINY)
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
    recs = write_records(tmp_path, shape=(16, 24, 24))
    with pytest.raises(MedsslError, match=r"smaller than the cube size \(20, 20, 20\) on axis 0"):
        create_method("jigsaw", **TINY).make_dataset(recs, CFG, 0)[0]
    padded = create_method("jigsaw", **TINY, pad=True).make_dataset(recs, CFG, 0)
    assert padded[0]["tiles"].shape == (8, 1, 8, 8, 8)


def test_tile_larger_than_cell_is_an_error():
    with pytest.raises(MedsslError):
        create_method("jigsaw", grid=2, cell=8, tile=16)

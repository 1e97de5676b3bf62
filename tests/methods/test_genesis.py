"""Models Genesis as a registered method: model, reproducible items, loss, errors, CLI run."""

from __future__ import annotations

import pickle
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
from medssl.models import UNet3D, build_model_from_weights, create_model, load_encoder_weights

CFG = SimpleNamespace(model="unet3d_tiny", model_kwargs={})
TINY = {"crop_shape": [16, 16, 16], "preprocess": {"preset": "none"}}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_volumes(folder: Path, shape=(24, 24, 20), n: int = 2, stem: str = "mr") -> list[Path]:
    paths = []
    for i in range(n):
        r = np.random.default_rng(i)
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
        image = 100 * np.exp(-(grid**2).sum(0)) + r.normal(0, 5, shape)
        path = folder / f"{stem}{i}.nii.gz"
        nib.save(nib.Nifti1Image(image.astype(np.float32), np.diag([2.0, 2.0, 2.0, 1.0])), path)
        paths.append(path)
    return paths


def records(folder: Path, **kwargs) -> list[Record]:
    return [Record(p.stem, p, modality="MR") for p in write_volumes(folder, **kwargs)]


def fit(method, model, batch, steps: int = 6, lr: float = 3e-3) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss, _ = method.loss(model, batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def test_builds_a_one_in_one_out_unet():
    method = create_method("genesis")
    model = method.build_model(CFG)
    assert isinstance(model, UNet3D) and model.in_channels == 1 and model.out_channels == 1
    assert method.encoder_of(model) is model.encoder


def test_items_are_reproducible_from_seed_and_index(tmp_path):
    method = create_method("genesis", **TINY)
    recs = records(tmp_path)
    first, again = method.make_dataset(recs, CFG, 7), method.make_dataset(recs, CFG, 7)
    assert not hasattr(first, "__len__")  # endless: every step sees new samples
    item = first[5]
    assert item["input"].shape == item["target"].shape == (1, 16, 16, 16)
    assert 0.0 <= float(item["target"].min()) and float(item["target"].max()) <= 1.0
    assert torch.equal(item["input"], again[5]["input"])
    assert not torch.equal(item["input"], first[6]["input"])
    assert not torch.equal(item["input"], method.make_dataset(recs, CFG, 8)[5]["input"])
    assert len(create_method("genesis", **TINY, length=10).make_dataset(recs, CFG, 0)) == 10


def test_loss_is_finite_and_decreases(tmp_path):
    method = create_method("genesis", **TINY)
    dataset = method.make_dataset(records(tmp_path), CFG, 0)
    batch = default_collate([dataset[i] for i in range(2)])
    torch.manual_seed(0)
    losses = fit(method, method.build_model(CFG), batch)
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_validate_scores_fixed_held_out_items(tmp_path):
    method = create_method("genesis", **TINY, val_items=3)
    method.make_dataset(records(tmp_path), CFG, 0)
    model = method.build_model(CFG).eval()
    cfg = SimpleNamespace(batch_size=2)
    with torch.no_grad():
        first, again = method.validate(model, cfg), method.validate(model, cfg)
    assert np.isfinite(first["val_loss"]) and first == again


def test_small_volume_without_padding_is_a_clear_error(tmp_path):
    recs = records(tmp_path, shape=(12, 24, 20))
    dataset = create_method("genesis", **TINY).make_dataset(recs, CFG, 0)
    with pytest.raises(MedsslError, match=r"smaller than the cube size .* pad"):
        dataset[0]
    padded = create_method("genesis", **TINY, pad=True).make_dataset(recs, CFG, 0)
    assert padded[0]["input"].shape == (1, 16, 16, 16)


def test_preset_path_reads_through_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    options = {"crop_shape": [16, 16, 16], "preprocess": {"grid": 32, "target_spacing": 2.0}}
    dataset = create_method("genesis", **options).make_dataset(records(tmp_path), CFG, 0)
    volume = dataset.views.source.volume(0)
    assert volume.shape == (32, 32, 32) and volume.min() >= 0.0 and volume.max() <= 1.0
    assert list((tmp_path / "cache").rglob("image.npy"))
    copy = pickle.loads(pickle.dumps(dataset))  # as a spawned DataLoader worker gets it
    assert torch.equal(copy[3]["input"], dataset[3]["input"])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"crop": [16, 16, 16]}, "unknown option 'crop' for method 'genesis'; valid: crop_shape"),
        ({"transform": {"flip": 0.1}}, "unknown transform option 'flip'"),
        ({"preprocess": {"spacing": 1}}, "unknown preprocess option 'spacing'"),
        ({"crop_shape": [16, 16]}, "crop_shape must be three positive integers"),
        ({"length": 0}, "length must be an integer >= 1; got 0"),
        ({"val_items": -1}, "val_items must be an integer >= 0; got -1"),
    ],
)
def test_bad_options_raise(options, match):
    with pytest.raises(MedsslError, match=match):
        create_method("genesis", **options)


def test_cli_pretrain_exports_a_unet_for_fine_tuning(tmp_path, monkeypatch):
    from medssl.cli.main import main

    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    paths = write_volumes(tmp_path)
    run = tmp_path / "run"
    options = "{crop_shape: [16, 16, 16], val_items: 2, preprocess: {grid: 32}}"
    args = f"""pretrain --method genesis {paths[0]} {paths[1]} --modality MR --out {run}
        --steps 3 --batch-size 2 --num-workers 0 --precision fp32 --set model=unet3d_tiny
        --set progress=false --set val_every=3""".split()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--set", f"method_options={options}"])
    assert exit_info.value.code in (0, None)
    assert (run / "log.csv").read_text().splitlines()[-1].startswith("3,")
    assert (run / "checkpoints" / "best.pt").is_file()
    unet = build_model_from_weights(run / "model.pt")
    assert isinstance(unet, UNet3D)
    load_encoder_weights(create_model("unet3d_tiny", out_channels=3), run / "encoder.pt")

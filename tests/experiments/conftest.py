"""Tiny labelled NIfTI cases and an encoder weights file for experiment tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from experiment_helpers import RADII, write_case, write_csv


@pytest.fixture(scope="session")
def cases(tmp_path_factory) -> Path:
    """Folder with c0..c5, train.csv (c0-c2), test.csv (c3-c5), all.csv and encoder.pt."""
    import torch

    from medssl.models import create_model, save_weights

    folder = tmp_path_factory.mktemp("experiment_data")
    for seed, (name, radius) in enumerate(RADII.items()):
        write_case(folder, name, radius, seed)
    write_csv(folder / "train.csv", ["c0", "c1", "c2"])
    write_csv(folder / "test.csv", ["c3", "c4", "c5"])
    write_csv(folder / "all.csv", list(RADII))
    torch.manual_seed(0)
    model = create_model("unet3d_tiny", in_channels=1, out_channels=2)
    save_weights(
        folder / "encoder.pt",
        model,
        arch="unet3d_tiny",
        config={"in_channels": 1, "out_channels": 2},
        part="encoder",
    )
    return folder


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny tensors on busy shared cores: one torch thread is fastest."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

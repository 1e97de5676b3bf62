"""Fixtures of the inference tests: a tiny ld weights file (helpers in tests/zeroshot)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

from zs_helpers import save_ld_model


@pytest.fixture(scope="session")
def tiny_ld_model(tmp_path_factory) -> Path:
    return save_ld_model(tmp_path_factory.mktemp("models") / "ld_tiny.pt")


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one torch thread is fastest, above all on a shared, busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_seg_model(tmp_path_factory) -> Path:
    from zs_helpers import save_seg_model

    return save_seg_model(tmp_path_factory.mktemp("models") / "seg_tiny.pt")

"""Fixtures of the engine tests: a tiny method and a fast config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_method import TinyMethod

from medssl.config import TrainConfig


@pytest.fixture
def tiny_cfg(tmp_path: Path):
    """A config factory: ``tiny_cfg(**overrides)`` → a fast fp32 TrainConfig."""

    def make(**kw) -> TrainConfig:
        base = {
            "method": "tiny",
            "model": "tinynet",
            "steps": 6,
            "batch_size": 2,
            "lr": 1e-2,
            "precision": "fp32",
            "num_workers": 0,
            "ckpt_every": 3,
            "log_every": 1,
            "out": str(tmp_path / "run"),
            "progress": False,
            "seed": 7,
        }
        base.update(kw)
        return TrainConfig(**base)

    return make


@pytest.fixture
def tiny_method():
    return TinyMethod

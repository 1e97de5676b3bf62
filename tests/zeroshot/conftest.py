"""Fixtures of the zero-shot tests: a tiny ld weights file (helpers in zs_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from zs_helpers import save_ld_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return save_ld_model(tmp_path_factory.mktemp("models") / "ld_tiny.pt")

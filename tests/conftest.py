"""Shared fixtures: tiny synthetic volumes and the real scans in ../shared/data."""

from __future__ import annotations

import locale
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real scans folder; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real scans not available at {SHARED_DATA} (set MEDSSL_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def make_blob_volume(shape=(24, 20, 16), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth image with a bright ellipsoid and its label (always non-empty)."""
    r = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    centre = r.uniform(-0.2, 0.2, size=3)[:, None, None, None]
    label = (((grid - centre) / 0.45) ** 2).sum(0) < 1
    image = (label * 2.0 + r.normal(0, 0.3, size=shape)).astype(np.float32)
    return image, label.astype(np.uint8)


@pytest.fixture
def blob():
    return make_blob_volume()


@pytest.fixture(autouse=True)
def _keep_locale():
    """Restore the C locale after each test: GDCM's DICOM writer (used by test helpers
    to make tiny series) switches it to ASCII, which would change later tests' text IO."""
    saved = locale.setlocale(locale.LC_ALL, None)
    yield
    if locale.setlocale(locale.LC_ALL, None) != saved:
        locale.setlocale(locale.LC_ALL, saved)

"""Fixtures for dataset-specification tests: tiny NIfTI files written on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest


@pytest.fixture
def write_nifti() -> Callable[..., Path]:
    """``write_nifti(path, shape=(8, 8, 8), affine=None, fill=1)`` → path (folders made)."""

    def write(path: Path, shape=(8, 8, 8), affine=None, fill: int = 1, dtype=np.uint8) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        array = np.zeros(shape, dtype=dtype)
        array[(slice(2, 5),) * min(len(shape), 3)] = fill
        nib.save(nib.Nifti1Image(array, np.eye(4) if affine is None else affine), str(path))
        return path

    return write

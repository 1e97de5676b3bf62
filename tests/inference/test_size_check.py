"""The preprocessing grid is checked against the memory limit before any voxel is read."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.errors import MedsslError


def _truncated_scan(path: Path) -> Path:
    """A NIfTI whose header is fine but whose voxels are cut off: reading them fails."""
    nib.save(nib.Nifti1Image(np.ones((20, 20, 20), np.float32), np.eye(4)), path)
    data = path.read_bytes()
    path.write_bytes(data[:400])
    return path


@pytest.fixture
def tiny_limit(monkeypatch):
    monkeypatch.setenv("MEDSSL_MAX_GRID_GIB", "1e-6")


def test_segment_checks_the_grid_before_reading(tmp_path, tiny_limit):
    from medssl.zeroshot.segment import segment_files

    scan = _truncated_scan(tmp_path / "scan.nii")
    with pytest.raises(MedsslError, match="over the limit") as err:
        segment_files([scan], tmp_path / "out", baseline="zscore", progress=False)
    assert str(scan) in str(err.value)


def test_predict_checks_the_grid_before_reading(tmp_path, tiny_limit, tiny_seg_model):
    from medssl.segmentation.predict import predict

    scan = _truncated_scan(tmp_path / "scan.nii")
    with pytest.raises(MedsslError, match="over the limit"):
        predict([scan], tiny_seg_model, tmp_path / "out", progress=False, device="cpu")


def test_volume_loader_checks_the_grid_before_reading(tmp_path, tiny_limit):
    from medssl.data import Record
    from medssl.data.volumes import VolumeOptions, load_volumes

    scan = _truncated_scan(tmp_path / "scan.nii")
    options = VolumeOptions(preset="none", cache=str(tmp_path / "cache"))
    with pytest.raises(MedsslError, match="over the limit"):
        load_volumes([Record("c", scan)], options)

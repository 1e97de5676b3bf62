"""Grids too large for memory are refused up front, with one line naming the file."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.io import read_geometry, read_image
from medssl.preprocess import FitGrid, Pipeline, PreprocessCache, Reorient, Resample, preset


def _scan(path, spacing) -> str:
    data = np.random.default_rng(0).uniform(-100, 300, size=(32, 32, 32)).astype(np.float32)
    nib.save(nib.Nifti1Image(data, np.diag([*spacing, 1.0])), str(path))
    return str(path)


@pytest.mark.parametrize("name", ["ct", "mri"])
def test_absurd_header_spacing_is_refused_before_resampling(tmp_path, name):
    src = _scan(tmp_path / "huge.nii.gz", (1e6, 1.0, 1.0))
    with pytest.raises(MedsslError, match="over the limit") as err:
        preset(name).apply(read_image(src))
    text = str(err.value)
    assert src in text and "1e+06" in text and "GiB" in text and "resample" in text
    assert "\n" not in text


def test_absurd_target_spacing_is_refused(tmp_path):
    src = _scan(tmp_path / "scan.nii.gz", (1.0, 1.0, 1.0))
    with pytest.raises(MedsslError, match="spacing") as err:
        preset("mri", target_spacing=1e-6).apply(read_image(src))
    assert src in str(err.value) and "1e-06" in str(err.value)


def test_cache_refuses_before_reading_voxels(tmp_path, monkeypatch):
    import medssl.preprocess.cache as cache_module

    src = _scan(tmp_path / "huge.nii.gz", (1.0, 1e6, 1.0))

    def no_read(*args, **kwargs):
        raise AssertionError("voxels were read before the size check")

    monkeypatch.setattr(cache_module, "read_image", no_read)
    with pytest.raises(MedsslError, match="over the limit"):
        PreprocessCache(tmp_path / "cache").get(src, preset("ct"))
    assert not (tmp_path / "cache").exists()


def test_limit_is_configurable(tmp_path, monkeypatch):
    src = _scan(tmp_path / "scan.nii.gz", (1.0, 1.0, 1.0))
    pipe = Pipeline([Resample(spacing=0.5)])  # 64^3 float32: 1 MiB out
    pipe.check_size(read_geometry(src), limit_gib=1.0)
    with pytest.raises(MedsslError, match="limit of 0.0001 GiB"):
        pipe.check_size(read_geometry(src), limit_gib=1e-4)
    monkeypatch.setenv("MEDSSL_MAX_GRID_GIB", "1e-4")
    with pytest.raises(MedsslError, match="MEDSSL_MAX_GRID_GIB"):
        pipe.apply(read_image(src))
    monkeypatch.setenv("MEDSSL_MAX_GRID_GIB", "lots")
    with pytest.raises(MedsslError, match="must be a number"):
        pipe.apply(read_image(src))


def test_plan_matches_apply(oriented):
    image, _ = oriented
    pipe = Pipeline([Reorient(), Resample(spacing=(1.7, 0.9, 2.2)), FitGrid(size=(20, 18, 16))])
    shape, affine = image.geometry.shape, image.geometry.affine
    for step in pipe.steps:
        shape, affine = step.plan(shape, affine)
    sample = pipe.apply(image)
    assert shape == sample.image.shape
    np.testing.assert_allclose(affine, sample.affine, atol=1e-9)
    pipe = Pipeline([Reorient(), Resample(spacing=0.8), FitGrid(size=24, mode="pad")])
    shape, affine = image.geometry.shape, image.geometry.affine
    for step in pipe.steps:
        shape, affine = step.plan(shape, affine)
    sample = pipe.apply(image)
    np.testing.assert_allclose(affine, sample.affine, atol=1e-9)


def test_read_geometry_reads_no_voxels_and_matches(tmp_path):
    src = _scan(tmp_path / "scan.nii.gz", (0.5, 1.5, 2.0))
    assert read_geometry(src).matches(read_image(src).geometry)
    mha = tmp_path / "scan.mha"
    from medssl.io import write_image

    write_image(read_image(src).array, read_image(src).geometry, mha)
    assert read_geometry(mha).matches(read_image(mha).geometry)

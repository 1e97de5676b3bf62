"""The on-disk cache: hits are equal and memory-mapped; inputs and config are in the key."""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.preprocess import PreprocessCache, default_cache_root, preset


@pytest.fixture
def files(tmp_path, blob):
    image, label = blob
    affine = np.diag([-1.0, 1.5, 2.0, 1.0])
    nib.save(nib.Nifti1Image(image, affine), str(tmp_path / "img.nii.gz"))
    nib.save(nib.Nifti1Image(label, affine), str(tmp_path / "lab.nii.gz"))
    return tmp_path / "img.nii.gz", tmp_path / "lab.nii.gz"


def test_hit_equals_miss_and_is_memory_mapped(tmp_path, files):
    cache = PreprocessCache(tmp_path / "cache")
    pipe = preset("mri", target_spacing=1.5, grid=24)
    first = cache.get(files[0], pipe, files[1])
    second = cache.get(files[0], pipe, files[1])
    assert isinstance(second.image, np.memmap)
    np.testing.assert_array_equal(first.image, second.image)
    np.testing.assert_array_equal(first.label, second.label)
    assert second.roi is None and second.record == first.record
    np.testing.assert_allclose(second.affine, first.affine)
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_key_follows_file_changes_and_config(tmp_path, files):
    cache = PreprocessCache(tmp_path / "cache")
    pipe = preset("mri", grid=24)
    key = cache.key(files[0], pipe, files[1])
    assert cache.key(files[0], preset("mri", grid=32), files[1]) != key
    assert cache.key(files[0], pipe) != key
    stat = files[0].stat()
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache.key(files[0], pipe, files[1]) != key


def test_damaged_entry_is_rebuilt(tmp_path, files):
    cache = PreprocessCache(tmp_path / "cache", mmap=False)
    pipe = preset("mri", grid=24)
    cache.get(files[0], pipe)
    key = cache.key(files[0], pipe)
    (cache.entry_dir(key) / "image.npy").write_bytes(b"junk")
    sample = cache.get(files[0], pipe)
    assert sample.image.shape == (24, 24, 24)
    assert cache.clear() == 1


def test_default_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "c"))
    assert default_cache_root() == tmp_path / "c"
    assert PreprocessCache().root == tmp_path / "c"
    monkeypatch.delenv("MEDSSL_CACHE")
    assert default_cache_root().name == ".medssl_cache"


def test_missing_file(tmp_path):
    with pytest.raises(MedsslError, match="file not found"):
        PreprocessCache(tmp_path).get(tmp_path / "nope.nii.gz", preset("mri"))

"""Pairing prediction and reference files or folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from medssl.errors import MedsslError
from medssl.evaluation import pair_paths


def _touch(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_two_files(tmp_path):
    _touch(tmp_path, "p.nii.gz", "case7.nii.gz")
    (pair,) = pair_paths(tmp_path / "p.nii.gz", tmp_path / "case7.nii.gz")
    assert pair.case == "case7"


def test_folders_pair_by_name(tmp_path):
    pred = _touch(tmp_path / "pred", "b.nii.gz", "a.nrrd", ".hidden.nii.gz", "notes.txt")
    gt = _touch(tmp_path / "gt", "a.nrrd", "b.nii.gz")
    pairs = pair_paths(pred, gt)
    assert [p.case for p in pairs] == ["a", "b"]
    assert pairs[1].pred == pred / "b.nii.gz" and pairs[1].gt == gt / "b.nii.gz"


def test_unmatched_names_are_listed(tmp_path):
    pred = _touch(tmp_path / "pred", "a.nii.gz", "b.nii.gz", "c.nii.gz")
    gt = _touch(tmp_path / "gt", "a.nii.gz", "d.nii.gz")
    with pytest.raises(
        MedsslError, match=r"2 only in .*pred: b.nii.gz, c.nii.gz; 1 only in .*gt: d"
    ):
        pair_paths(pred, gt)


def test_missing_path(tmp_path):
    with pytest.raises(MedsslError, match="prediction path not found"):
        pair_paths(tmp_path / "nope.nii.gz", tmp_path)


def test_file_and_folder(tmp_path):
    _touch(tmp_path, "a.nii.gz")
    with pytest.raises(MedsslError, match="both be files or both be folders"):
        pair_paths(tmp_path / "a.nii.gz", tmp_path)


def test_folder_without_images(tmp_path):
    pred = _touch(tmp_path / "pred", "readme.txt")
    gt = _touch(tmp_path / "gt", "a.nii.gz")
    with pytest.raises(MedsslError, match="holds no image file"):
        pair_paths(pred, gt)

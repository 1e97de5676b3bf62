"""Folder and glob specifications, with label pairing by name."""

from __future__ import annotations

import pytest

from medssl.data import load_records, records_from_glob
from medssl.errors import MedsslError


def test_sibling_label_and_folder_ids(tmp_path, write_nifti):
    for case in ("a", "b"):
        write_nifti(tmp_path / case / "flair.nii.gz")
        write_nifti(tmp_path / case / "label.nii.gz")
    records = load_records(
        str(tmp_path / "*" / "flair.nii.gz"), labels="label.nii.gz", modality="FLAIR"
    )
    assert [r.id for r in records] == ["a", "b"]
    assert records[0].label == tmp_path / "a" / "label.nii.gz"
    assert records[1].modality == "FLAIR" and records[1].roi is None


def test_images_and_labels_folders_with_channel_suffix(tmp_path, write_nifti):
    write_nifti(tmp_path / "imagesTr" / "case1_0000.nii.gz")
    write_nifti(tmp_path / "imagesTr" / "case2_0000.nii.gz")
    write_nifti(tmp_path / "labelsTr" / "case1.nii.gz")
    write_nifti(tmp_path / "labelsTr" / "case2.nii.gz")
    records = load_records(tmp_path / "imagesTr", labels=tmp_path / "labelsTr")
    assert [(r.id, r.label.name) for r in records] == [
        ("case1", "case1.nii.gz"),
        ("case2", "case2.nii.gz"),
    ]


def test_same_names_in_two_folders(tmp_path, write_nifti):
    write_nifti(tmp_path / "img" / "x.nii.gz")
    write_nifti(tmp_path / "lab" / "x.nii.gz")
    records = records_from_glob(tmp_path / "img", labels=tmp_path / "lab", rois=tmp_path / "lab")
    assert records[0].label == records[0].roi == tmp_path / "lab" / "x.nii.gz"


def test_template_label(tmp_path, write_nifti):
    write_nifti(tmp_path / "scans" / "p1.nii.gz")
    write_nifti(tmp_path / "masks" / "p1_seg.nii.gz")
    template = str(tmp_path / "masks" / "{stem}_seg.nii.gz")
    assert load_records(str(tmp_path / "scans" / "*.nii.gz"), labels=template)[0].label.exists()


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MedsslError, match=r"must hold image files.*found none in .*empty"):
        load_records(tmp_path / "empty")


def test_glob_matching_nothing(tmp_path):
    with pytest.raises(MedsslError, match=r"must match at least one image file.*matched none"):
        load_records(str(tmp_path / "*" / "t1.nii.gz"))


def test_missing_label_names_image_and_expected_path(tmp_path, write_nifti):
    write_nifti(tmp_path / "a" / "flair.nii.gz")
    with pytest.raises(
        MedsslError, match=r"label not found for image .*flair\.nii\.gz: expected .*seg"
    ):
        load_records(str(tmp_path / "*" / "flair.nii.gz"), labels="seg.nii.gz")


def test_duplicate_ids(tmp_path, write_nifti):
    write_nifti(tmp_path / "a" / "x_0000.nii.gz")
    write_nifti(tmp_path / "a" / "x_0001.nii.gz")
    with pytest.raises(MedsslError, match="ids must be unique; 'x' appears 2 times"):
        load_records(tmp_path / "a")

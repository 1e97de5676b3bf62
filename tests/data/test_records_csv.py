"""CSV specifications: image,label columns, paths relative to the CSV."""

from __future__ import annotations

import pytest

from medssl.data import load_records
from medssl.errors import MedsslError


def test_relative_paths_and_optional_columns(tmp_path, write_nifti):
    write_nifti(tmp_path / "img" / "a.nii.gz")
    write_nifti(tmp_path / "lab" / "a.nii.gz")
    write_nifti(tmp_path / "img" / "b.nii.gz")
    csv = tmp_path / "cases.csv"
    csv.write_text(
        "image,label,modality,roi\nimg/a.nii.gz,lab/a.nii.gz,CT,lab/a.nii.gz\nimg/b.nii.gz,,,\n"
    )
    records = load_records(csv, modality="MRI")
    assert [r.id for r in records] == ["a", "b"]
    assert records[0].label == tmp_path / "lab" / "a.nii.gz"
    assert records[0].roi == tmp_path / "lab" / "a.nii.gz"
    assert records[0].modality == "CT" and records[1].modality == "MRI"
    assert records[1].label is None


def test_id_column(tmp_path):
    csv = tmp_path / "cases.csv"
    csv.write_text("id,image\ncase7,/abs/x.nii.gz\n")
    record = load_records(csv)[0]
    assert record.id == "case7" and str(record.image) == "/abs/x.nii.gz"


def test_missing_columns(tmp_path):
    csv = tmp_path / "cases.csv"
    csv.write_text("path,mask\na.nii.gz,b.nii.gz\n")
    with pytest.raises(
        MedsslError, match=r"CSV must have column\(s\) image.*missing image in .*cases\.csv"
    ):
        load_records(csv)


def test_no_rows(tmp_path):
    csv = tmp_path / "cases.csv"
    csv.write_text("image,label\n")
    with pytest.raises(MedsslError, match="at least one case"):
        load_records(csv)


def test_empty_image_cell(tmp_path):
    csv = tmp_path / "cases.csv"
    csv.write_text("image,label\n,b.nii.gz\n")
    with pytest.raises(MedsslError, match="'image' must not be empty; row 2"):
        load_records(csv)


def test_labels_option_not_for_csv(tmp_path):
    csv = tmp_path / "cases.csv"
    csv.write_text("image\na.nii.gz\n")
    with pytest.raises(MedsslError, match="lists its own labels"):
        load_records(csv, labels="label.nii.gz")


def test_missing_csv(tmp_path):
    with pytest.raises(MedsslError, match="CSV file not found"):
        load_records(tmp_path / "nope.csv")

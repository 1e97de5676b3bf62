"""Up-front checks of every case: readable, 3D, label on the image's grid, non-empty."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.data import Record, validate_records
from medssl.errors import MedsslError


def _case(
    tmp_path,
    write_nifti,
    *,
    image_shape=(8, 8, 8),
    label_shape=(8, 8, 8),
    label_affine=None,
    label_fill=1,
):
    image = write_nifti(tmp_path / "img.nii.gz", shape=image_shape, dtype=np.float32)
    label = write_nifti(
        tmp_path / "lab.nii.gz", shape=label_shape, affine=label_affine, fill=label_fill
    )
    return Record("c", image, label)


def test_good_case_returns_grid(tmp_path, write_nifti):
    grids = validate_records([_case(tmp_path, write_nifti)], require_label=True, decode=True)
    assert grids[0].shape == (8, 8, 8)


def test_2d_image(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti, image_shape=(8, 8))
    with pytest.raises(MedsslError, match=r"img\.nii\.gz: expected a 3D image; got 2D"):
        validate_records([record])


def test_4d_without_channel(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti, image_shape=(8, 8, 8, 2))
    with pytest.raises(
        MedsslError, match=r"image is 4D with 2 channels.*choose one with --channel"
    ):
        validate_records([record])
    assert validate_records([record], channel=1)[0].shape == (8, 8, 8)
    with pytest.raises(MedsslError, match=r"channel must be in 0\.\.1; got 2"):
        validate_records([record], channel=2)


def test_label_shape_mismatch_names_both_files(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti, label_shape=(8, 8, 7))
    with pytest.raises(
        MedsslError,
        match=r"label shape \(8, 8, 7\) in .*lab\.nii\.gz does not match "
        r"image shape \(8, 8, 8\) in .*img\.nii\.gz",
    ):
        validate_records([record])


def test_label_affine_mismatch_names_both_files(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti, label_affine=np.diag([1.0, 1.0, 1.1, 1.0]))
    with pytest.raises(
        MedsslError, match=r"label affine differs .* between .*lab\.nii\.gz and .*img"
    ):
        validate_records([record])


def test_empty_label_when_required(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti, label_fill=0)
    validate_records([record])  # fine when a label is not required
    with pytest.raises(MedsslError, match=r"lab\.nii\.gz: label is empty"):
        validate_records([record], require_label=True)


def test_missing_label_when_required(tmp_path, write_nifti):
    image = write_nifti(tmp_path / "img.nii.gz")
    with pytest.raises(MedsslError, match="a label is required; case 'x' has none"):
        validate_records([Record("x", image)], require_label=True)


def test_missing_file_and_count_of_failures(tmp_path, write_nifti):
    good = _case(tmp_path, write_nifti)
    records = [Record("a", tmp_path / "gone.nii.gz"), good, Record("b", tmp_path / "gone2.nii")]
    with pytest.raises(MedsslError, match=r"file not found: .*gone\.nii\.gz \(and 1 more failing"):
        validate_records(records)


def test_no_records():
    with pytest.raises(MedsslError, match="at least one case"):
        validate_records([])


def test_roi_checked_like_label(tmp_path, write_nifti):
    record = _case(tmp_path, write_nifti)
    roi = write_nifti(tmp_path / "roi.nii.gz", shape=(9, 8, 8))
    with pytest.raises(MedsslError, match=r"ROI shape \(9, 8, 8\) in .*roi\.nii\.gz"):
        validate_records([Record("c", record.image, record.label, roi)])


def test_real_brats_folder(shared_data):
    from medssl.data import load_records

    records = load_records(
        str(shared_data / "brats_dev" / "*" / "flair.nii.gz"),
        labels="label.nii.gz",
        rois="brainmask.nii.gz",
    )
    grids = validate_records(records, require_label=True)
    assert len(grids) == 4 and all(g.shape == (240, 240, 155) for g in grids)

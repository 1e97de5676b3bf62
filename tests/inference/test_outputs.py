"""Output names of the inference loop: distinct, paired with labels, never an input."""

from __future__ import annotations

import os

import numpy as np
import pytest
from zs_helpers import write_dicom_series, write_nifti

from medssl.errors import MedsslError
from medssl.inference.outputs import Job, check_outputs, plan_outputs


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"scan")
    return path


def test_nnunet_channel_suffix_is_stripped(tmp_path):
    paths = [_touch(tmp_path / "imagesTs" / f"case{i}_0000.nii.gz") for i in (1, 2)]
    jobs = plan_outputs(paths, tmp_path / "out")
    assert [j.target.name for j in jobs] == ["case1.nii.gz", "case2.nii.gz"]


def test_shared_file_names_take_the_folder_name(tmp_path):
    paths = [_touch(tmp_path / c / "flair.nii.gz") for c in ("case1", "case2")]
    other = _touch(tmp_path / "case3" / "t1.nii.gz")
    jobs = plan_outputs([*paths, other], tmp_path / "out", extras=["normal", "panel.png"])
    assert [j.target.name for j in jobs] == ["case1.nii.gz", "case2.nii.gz", "t1.nii.gz"]
    assert jobs[1].extras == {
        "normal": tmp_path / "out" / "case2_normal.nii.gz",
        "panel.png": tmp_path / "out" / "case2_panel.png",
    }


def test_same_folder_and_file_names_still_collide(tmp_path):
    paths = [_touch(tmp_path / top / "case" / "flair.nii.gz") for top in ("a", "b")]
    with pytest.raises(MedsslError, match="would both write .*case.nii.gz"):
        plan_outputs(paths, tmp_path / "out")


def test_formats_dicom_and_headers(tmp_path):
    folder = write_dicom_series(tmp_path / "series1", np.ones((4, 4, 3), np.int16))
    mhd, nhdr = _touch(tmp_path / "a.mhd"), _touch(tmp_path / "b.nhdr")
    jobs = plan_outputs([folder, mhd, nhdr, _touch(tmp_path / "c.nrrd")], tmp_path / "out")
    assert [j.target.name for j in jobs] == ["series1.nii.gz", "a.mha", "b.nrrd", "c.nrrd"]


@pytest.mark.parametrize("name", ["x.nii.gz", "x.nrrd", "x.mha"])
def test_output_onto_its_input_is_refused(tmp_path, name):
    path = _touch(tmp_path / name)
    with pytest.raises(MedsslError, match=f"would overwrite the input {path}"):
        plan_outputs([path], tmp_path)
    (tmp_path / "sub").mkdir()
    with pytest.raises(MedsslError, match="would overwrite the input"):
        plan_outputs([tmp_path / "sub" / ".." / name], tmp_path)


def test_channel_file_beside_its_mask_is_not_an_overwrite(tmp_path):
    path = _touch(tmp_path / "x_0000.nii.gz")
    (job,) = plan_outputs([path], tmp_path)
    assert job.target == tmp_path / "x.nii.gz"


def test_output_onto_another_input_is_refused(tmp_path):
    a = _touch(tmp_path / "in" / "a.nii.gz")
    b = _touch(tmp_path / "out" / "a_normal.nii.gz")
    jobs = plan_outputs([a], tmp_path / "out", extras=["normal"])
    with pytest.raises(MedsslError, match="would overwrite the input .*a_normal.nii.gz"):
        check_outputs(jobs, protected=[b])


def test_symlinked_and_hard_linked_outputs_are_refused(tmp_path):
    scan = _touch(tmp_path / "data" / "scan.nii.gz")
    (tmp_path / "out").mkdir()
    os.symlink(scan, tmp_path / "out" / "scan.nii.gz")
    with pytest.raises(MedsslError, match="would overwrite the input"):
        plan_outputs([scan], tmp_path / "out")
    (tmp_path / "out2").mkdir()
    os.link(scan, tmp_path / "out2" / "scan.nii.gz")
    with pytest.raises(MedsslError, match="would overwrite the input"):
        plan_outputs([scan], tmp_path / "out2")
    linked_dir = tmp_path / "alias"
    os.symlink(tmp_path / "data", linked_dir)
    with pytest.raises(MedsslError, match="would overwrite the input"):
        plan_outputs([linked_dir / "scan.nii.gz"], tmp_path / "data")


def test_output_inside_an_input_dicom_folder_is_refused(tmp_path):
    folder = write_dicom_series(tmp_path / "series1", np.ones((4, 4, 3), np.int16))
    with pytest.raises(MedsslError, match="inside the input DICOM folder"):
        plan_outputs([folder], folder)


def test_explicit_jobs_are_checked_too(tmp_path):
    scan = write_nifti(tmp_path / "s.nii.gz", np.ones((4, 4, 4), np.float32), np.eye(4))
    with pytest.raises(MedsslError, match="would overwrite the input"):
        check_outputs([Job(scan, tmp_path / "s.nii.gz")])


def test_an_input_given_twice(tmp_path):
    path = _touch(tmp_path / "a.nii.gz")
    with pytest.raises(MedsslError, match="input .*a.nii.gz is given twice"):
        plan_outputs([path, tmp_path / "." / "a.nii.gz"], tmp_path / "out")


def test_an_output_that_is_a_folder(tmp_path):
    path = _touch(tmp_path / "a.nii.gz")
    (tmp_path / "out" / "a.nii.gz").mkdir(parents=True)
    with pytest.raises(MedsslError, match="output .*a.nii.gz is an existing folder"):
        plan_outputs([path], tmp_path / "out")

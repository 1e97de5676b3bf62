"""medssl segment --roi through the command line: bad ROIs give one line and exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.cli.main import main

sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

from ct_helpers import abdomen

AFFINE = np.diag([2.0, 2.0, 2.5, 1.0])


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, *capsys.readouterr()


@pytest.fixture
def case(tmp_path):
    image, organs, _ = abdomen()
    nib.save(nib.Nifti1Image(image, AFFINE), str(tmp_path / "ct.nii.gz"))
    nib.save(nib.Nifti1Image(organs, AFFINE), str(tmp_path / "organs.nii.gz"))
    nib.save(nib.Nifti1Image(organs, np.diag([1.0, 1.0, 1.0, 1.0])), str(tmp_path / "other.nii.gz"))
    nib.save(nib.Nifti1Image(np.zeros_like(organs), AFFINE), str(tmp_path / "empty.nii.gz"))
    return tmp_path


@pytest.mark.parametrize(
    ("roi", "needles"),
    [
        ("other.nii.gz", ["other.nii.gz", "ct.nii.gz", "grid"]),
        ("empty.nii.gz", ["empty.nii.gz", "empty"]),
    ],
)
def test_bad_roi_one_line(case, capsys, roi, needles):
    code, _, err = _run(
        [
            "segment",
            case / "ct.nii.gz",
            "--out",
            case / "o",
            "--baseline",
            "zscore",
            "--roi",
            case / roi,
        ],
        capsys,
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medssl: error:")
    assert all(n in lines[0] for n in needles)
    assert not (case / "o" / "ct.nii.gz").exists()


def test_baseline_with_roi_labels(case, capsys):
    code, _, err = _run(
        ["segment", case / "ct.nii.gz", "--out", case / "o", "--baseline", "zscore",
         "--roi", case / "organs.nii.gz", "--roi-labels", "5", "--z", "1.5"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    mask = np.asarray(nib.load(str(case / "o" / "ct.nii.gz")).dataobj)
    organs = np.asarray(nib.load(str(case / "organs.nii.gz")).dataobj)
    assert mask.any() and not mask[organs != 5].any()

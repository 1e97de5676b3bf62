"""Up-front validation reads grids by the same rules as medssl.io (qform/sform, mask specs)."""

from __future__ import annotations

import sys
import warnings
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.data.record import Record
from medssl.data.validate import check_record
from medssl.errors import MedsslError
from medssl.io import GeometryWarning, read_image, write_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from dicom_helpers import ramp_volume, write_series


def test_label_written_for_a_disagreeing_qform_sform_scan_validates(tmp_path):
    img = nib.Nifti1Image(np.arange(120, dtype=np.float32).reshape(6, 5, 4), None)
    qform, sform = np.eye(4), np.eye(4)
    qform[0, 3], sform[0, 3] = 10.0, 16.0
    img.set_qform(qform, code=1)
    img.set_sform(sform, code=2)
    scan = tmp_path / "scan.nii.gz"
    nib.save(img, str(scan))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeometryWarning)
        geometry = read_image(scan).geometry
        label = write_image(np.ones((6, 5, 4), np.uint8), geometry, tmp_path / "label.nii.gz")
        grid = check_record(Record("scan", scan, label=label))
    assert grid.matches(geometry)


def test_structure_spec_label_validates_against_the_dicom_image(tmp_path):
    ct = write_series(tmp_path / "ct", ramp_volume())
    mask = (ramp_volume() % 7 == 0).astype(np.uint8) * 255
    write_series(tmp_path / "MASKS" / "liver", mask)
    archive = tmp_path / "masks.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted((tmp_path / "MASKS").rglob("*")):
            zf.write(f, f.relative_to(tmp_path).as_posix())
    check_record(Record("ct", ct, label=Path(f"{archive}::liver=1")), require_label=True)
    with pytest.raises(MedsslError, match="valid structures: liver"):
        check_record(Record("ct", ct, label=Path(f"{archive}::spleen=1")))

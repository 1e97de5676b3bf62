"""Labels read next to their image are checked against it slice by slice (DICOM masks).

Every place that reads a label belonging to an image passes the image as the
reference, and dataset specs accept ``PATH::name=value`` DICOM mask labels.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from dicom_helpers import ramp_volume, write_series

from medssl.errors import MedsslError
from medssl.io import read_image

sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

STEP = 2.0


@pytest.fixture
def case(tmp_path):
    """``case1/ct`` (a DICOM series), ``case1/MASKS_DICOM.zip`` and a shifted mask series."""
    ct = write_series(tmp_path / "case1" / "ct", (ramp_volume() + 10) * 3, step=STEP)
    liver = np.zeros((6, 5, 4), np.uint8)
    liver[1:4, 1:4, 1:3] = 255
    root = tmp_path / "case1" / "MASKS_DICOM"
    write_series(root / "liver", liver, step=STEP, names=[f"image_{k}" for k in range(4)])
    archive = tmp_path / "case1" / "MASKS_DICOM.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(root.rglob("*")):
            zf.write(f, f.relative_to(root.parent).as_posix())
    shifted = write_series(tmp_path / "shifted", liver, step=STEP, origin=(-9.5, 20.0, 5.0))
    return ct, archive, shifted


def test_folder_spec_pairs_a_dicom_mask_spec(case):
    from medssl.data import records_from_glob, validate_records

    ct, archive, _ = case
    template = str(archive.parents[1]) + "/{parent}/MASKS_DICOM.zip::liver=1"
    for rule in (f"{archive}::liver=1", template, "MASKS_DICOM.zip::liver"):
        records = records_from_glob(ct, labels=rule)
        assert str(records[0].label).endswith("MASKS_DICOM.zip::liver=1") or str(
            records[0].label
        ).endswith("::liver")
        validate_records(records, require_label=True)


def test_folder_spec_with_a_missing_zip_names_it(case):
    from medssl.data import records_from_glob

    ct, _, _ = case
    with pytest.raises(MedsslError, match="label not found for image .*nothere.zip"):
        records_from_glob(ct, labels=str(ct.parents[1]) + "/{parent}/nothere.zip::liver=1")


def test_segment_label_is_checked_slice_by_slice(case, tmp_path):
    from zs_helpers import save_ld_model

    from medssl.zeroshot.segment import segment_files

    ct, _, shifted = case
    model = save_ld_model(tmp_path / "ld.pt")
    with pytest.raises(MedsslError, match="does not match image slice") as err:
        segment_files(
            [ct], tmp_path / "out", model=model, panel=True, label=shifted, progress=False
        )
    assert str(shifted / "slice000.dcm") in str(err.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_evaluate_checks_dicom_masks_slice_by_slice(case, tmp_path):
    from medssl.evaluation.metric import SegmentationMetric
    from medssl.evaluation.pairing import CasePair
    from medssl.evaluation.runner import evaluate_pair

    ct, archive, shifted = case
    liver = archive.parent / "MASKS_DICOM" / "liver"
    with pytest.raises(MedsslError, match="does not match image slice"):
        evaluate_pair(CasePair("c", liver, shifted), SegmentationMetric())
    rows = evaluate_pair(CasePair("c", liver, liver), SegmentationMetric())
    assert rows and rows[0].dice == pytest.approx(1.0)
    assert read_image(ct).geometry.shape == (5, 6, 4)

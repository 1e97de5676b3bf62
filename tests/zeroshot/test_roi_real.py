"""The CT baseline from the command line on a real DICOM CT with its DICOM liver mask.

Reads ``body/ircadb_p1`` from the shared data at run time (skips when absent); nothing
of it is stored here, and no figure of it is asserted.
"""

from __future__ import annotations

import numpy as np
import pytest

from medssl.cli.main import main
from medssl.io import read_image, read_label

pytestmark = pytest.mark.filterwarnings("ignore")


def test_ct_baseline_inside_the_dicom_liver_mask(shared_data, tmp_path, capsys):
    case = shared_data / "body" / "ircadb_p1"
    if not (case / "MASKS_DICOM.zip").exists():
        pytest.skip(f"{case} not available")
    image, roi = case / "PATIENT_DICOM", f"{case / 'MASKS_DICOM.zip'}::liver=1"
    with pytest.raises(SystemExit) as done:
        main(["segment", str(image), "--out", str(tmp_path), "--baseline", "zscore", "--roi", roi])
    assert done.value.code in (0, None)
    mask = read_image(tmp_path / "PATIENT_DICOM.nii.gz", dtype=None)
    ct = read_image(image)
    assert mask.geometry.shape == ct.geometry.shape
    np.testing.assert_allclose(mask.geometry.affine, ct.geometry.affine, atol=1e-4)
    liver = read_label(roi, reference=image).array > 0
    assert mask.array.any() and not mask.array[~liver].any()
    assert "wrote 1 mask" in capsys.readouterr().out

"""An MRI given to a CT model is refused unless --force."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen
from zs_helpers import save_ld_model, write_nifti

from medssl.errors import MedsslError
from medssl.zeroshot.segment import segment_files


@pytest.fixture(scope="module")
def liver_model(tmp_path_factory):
    return save_ld_model(tmp_path_factory.mktemp("m") / "ld_liver.pt", preset="liver_ct")


def test_mri_refused_by_the_ct_model_unless_forced(tmp_path, liver_model):
    image, _, _ = abdomen()
    mri = write_nifti(tmp_path / "mri.nii.gz", np.clip(image + 1000.0, 0, None) / 4, np.eye(4))
    with pytest.raises(MedsslError, match="mri.nii.gz.*Hounsfield.*--force"):
        segment_files([mri], tmp_path / "x", model=liver_model, progress=False)
    assert not (tmp_path / "x" / "mri.nii.gz").exists()
    notes = []
    (out,) = segment_files(
        [mri], tmp_path / "f", model=liver_model, force=True, progress=False, warn=notes.append
    )
    assert out.exists() and any("HU" in n for n in notes)

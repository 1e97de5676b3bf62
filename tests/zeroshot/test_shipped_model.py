"""The shipped models: each loads by name; the brain model segments the shipped sample,
the liver model stays inside the liver and refuses an MRI."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen
from zs_helpers import oblique_affine, write_nifti

from medssl.errors import MedsslError
from medssl.inference.ld_model import DEFAULT_MODEL, load_ld_model, resolve_model_path
from medssl.io import read_image, read_label
from medssl.samples import sample_path
from medssl.zeroshot.segment import segment_files


def test_shipped_weights_are_a_self_contained_ld_model():
    from medssl.models import load_weights

    path = resolve_model_path(DEFAULT_MODEL)
    assert path.stat().st_size < 10 * 2**20
    extra = load_weights(path).extra
    assert extra["method"] == "ld" and extra["checkpoint"] == "best.pt"
    assert extra["ld"]["name"] == "brain_flair"
    assert load_ld_model(DEFAULT_MODEL).preset.name == "brain_flair"
    assert (path.parent / "ld_brain_flair.md").is_file()  # its model card


def test_shipped_model_segments_the_sample_tumour(tmp_path):
    flair = sample_path("brain_flair")
    out = segment_files([flair], tmp_path, save_layers=True, progress=False)[0]
    mask, image = read_label(out), read_image(flair)
    assert mask.array.shape == image.array.shape
    np.testing.assert_allclose(mask.geometry.affine, image.geometry.affine, atol=1e-4)
    truth = read_label(sample_path("brain_label")).array > 0
    pred = mask.array > 0
    dice = 2 * (pred & truth).sum() / (pred.sum() + truth.sum())
    # Regression guard (measured: 0.648 on this 2 mm crop, never trained on; a broken
    # model gives ~0).
    assert dice > 0.6
    for layer in ("normal", "tumour"):
        assert (tmp_path / f"{flair.name.split('.')[0]}_{layer}.nii.gz").is_file()


def test_shipped_liver_model_loads_by_name_and_stays_in_the_liver(tmp_path):
    from medssl.models import load_weights

    path = resolve_model_path("ld_liver_ct")
    assert path.stat().st_size < 10 * 2**20
    assert (path.parent / "ld_liver_ct.md").is_file()  # its model card
    loaded = load_ld_model("ld_liver_ct")
    assert loaded.preset.name == "liver_ct" and loaded.preset.modality == "CT"
    assert 0 < loaded.threshold < 1 and load_weights(path).extra["checkpoint"] == "best.pt"
    image, organs, _ = abdomen()
    affine = oblique_affine((1.5, 1.5, 2.0))
    ct = write_nifti(tmp_path / "ct.nii.gz", image, affine)
    roi = write_nifti(tmp_path / "organs.nii.gz", organs, affine)
    (out,) = segment_files(
        [ct], tmp_path / "out", model="ld_liver_ct", roi=roi, roi_labels=[5], progress=False
    )
    mask = read_label(out)
    assert mask.array.shape == image.shape
    np.testing.assert_allclose(mask.geometry.affine, affine, atol=1e-4)
    assert not (mask.array > 0)[organs != 5].any()
    brain = sample_path("brain_flair")
    with pytest.raises(MedsslError, match="--force"):
        segment_files([brain], tmp_path / "mri", model="ld_liver_ct", roi=brain, progress=False)

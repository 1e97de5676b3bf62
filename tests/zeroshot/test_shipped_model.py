"""The shipped brain-FLAIR model: it loads by name and segments the shipped sample."""

from __future__ import annotations

import numpy as np

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

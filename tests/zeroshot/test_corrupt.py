"""Robustness corruptions keep the physical image and its label aligned."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import brain_like

from medssl.errors import MedsslError
from medssl.zeroshot.corrupt import CORRUPTIONS, corrupt

AFFINE = np.array([[-1.0, 0, 0, 30], [0, -1.0, 0, 20], [0, 0, 1.0, -10], [0, 0, 0, 1]])


def _world(affine, index):
    return affine @ np.array([*index, 1.0])


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_label_stays_on_the_same_anatomy(name):
    image, label = brain_like(shape=(30, 26, 40))
    out, lab, affine = corrupt(name, image, label, AFFINE)
    assert out.shape == lab.shape and affine.shape == (4, 4)
    com_in = _world(AFFINE, np.argwhere(label).mean(0))
    com_out = _world(affine, np.argwhere(lab).mean(0))
    assert np.linalg.norm(com_in - com_out) < 3.0  # mm


def test_grids_and_values():
    image, label = brain_like(shape=(30, 26, 40))
    out, _, affine = corrupt("slices_5mm", image, label, AFFINE)
    assert out.shape[2] == 8 and np.isclose(np.linalg.norm(affine[:3, 2]), 5.0)
    out, _, affine = corrupt("voxels_2mm", image, label, AFFINE)
    assert np.allclose(
        np.linalg.norm(affine[:3, :3], axis=0), [29 / 14, 25 / 12, 39 / 19], rtol=0.01
    )
    out, _, _ = corrupt("raw_units", image, label, AFFINE)
    assert out.min() == 5000.0
    out, _, _ = corrupt("bias", image, label, AFFINE)
    assert np.all(out[image == 0] == 0) and not np.allclose(out, image)
    with pytest.raises(MedsslError, match="unknown corruption"):
        corrupt("jpeg", image, label, AFFINE)

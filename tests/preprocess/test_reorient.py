"""Reorient: RAS order after, the exact input back after the inverse."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from medssl.preprocess import Reorient
from medssl.preprocess.step import State


def test_output_axes_are_ras_and_world_positions_kept(oriented):
    image, _ = oriented
    state, record = Reorient().apply(State(image.array, image.geometry.affine))
    assert nib.aff2axcodes(state.affine) == ("R", "A", "S")
    # The voxel at world point p holds the same value before and after.
    ijk = np.array([3, 5, 7, 1.0])
    world = image.geometry.affine @ ijk
    new_ijk = np.rint(np.linalg.solve(state.affine, world)[:3]).astype(int)
    assert state.image[tuple(new_ijk)] == image.array[3, 5, 7]
    assert record["step"] == "reorient"


def test_invert_gives_back_exact_array(oriented):
    image, label = oriented
    state, record = Reorient().apply(State(image.array, image.geometry.affine, label.array))
    back = Reorient.invert(state.label, record, is_label=True)
    np.testing.assert_array_equal(back, label.array)
    channels = np.stack([state.image, state.image * 2])
    back = Reorient.invert(channels, record, is_label=False)
    np.testing.assert_array_equal(back[1], image.array * 2)

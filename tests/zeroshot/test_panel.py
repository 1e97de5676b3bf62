"""The figure panel: planes through the mask's centre, a PNG with every column."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import brain_like

from medssl.errors import MedsslError
from medssl.zeroshot.panel import panel_centre, plane, save_panel


def test_centre_follows_truth_then_mask_then_volume():
    mask = np.zeros((10, 12, 14), bool)
    truth = mask.copy()
    assert panel_centre(mask, truth) == (5, 6, 7)
    mask[8, 9, 10] = True
    assert panel_centre(mask, truth) == (8, 9, 10)
    truth[2, 3, 4] = True
    assert panel_centre(mask, truth) == (2, 3, 4)


def test_slice_positions_are_given_in_the_input_grid():
    from medssl.zeroshot.panel import _row_label, input_position

    # panel voxel (i, j, k) -> input voxel (2i + 1, 63 - 2j, k): a flip and a zoom
    to_input = np.array([[2.0, 0, 0, 1], [0, -2.0, 0, 63], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert input_position((3, 4, 5), to_input) == "7, 55, 5"
    assert _row_label("coronal", (3, 4, 5), to_input) == "coronal j=55"
    assert _row_label("axial", (3, 4, 5), None) == "axial 5"
    rotated = np.eye(4)
    rotated[:2, :2] = [[0.8, -0.6], [0.6, 0.8]]
    assert "oblique" in _row_label("sagittal", (1, 1, 1), rotated)


def test_planes_are_transposed_slices():
    volume = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    assert plane(volume, "axial", (1, 1, 2)).shape == (3, 2)
    assert plane(volume, "coronal", (1, 1, 2)).shape == (4, 2)
    assert plane(volume, "sagittal", (1, 1, 2)).shape == (4, 3)
    with pytest.raises(MedsslError, match="plane must be one of"):
        plane(volume, "oblique", (0, 0, 0))


def test_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    image, blob = brain_like()
    out = save_panel(
        tmp_path / "p.png",
        image=image,
        normal=image * 0.5,
        tumour=image * blob,
        mask=blob > 0,
        truth=blob > 0,
        spacing=(1.0, 1.0, 2.0),
        title="blob",
    )
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_shape_mismatch(tmp_path):
    pytest.importorskip("matplotlib")
    image, blob = brain_like()
    with pytest.raises(MedsslError, match="share one shape"):
        save_panel(tmp_path / "p.png", image=image, normal=image, tumour=image, mask=blob[:-1])

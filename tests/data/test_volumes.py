"""``medssl.data.volumes``: the volume loader of the restoration and pretext methods."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.data.volumes import VolumeOptions, modality_name, to_unit_range
from medssl.errors import MedsslError


def test_modality_names_map_to_ct_or_mr():
    assert [modality_name(m) for m in ("CT", "cect", "FLAIR", "", None)] == [
        "ct", "ct", "mr", None, None,
    ]  # fmt: skip


def test_unit_range_clips_and_handles_flat_ranges():
    out = to_unit_range(np.array([-1.0, 0.0, 5.0, 20.0]), 0.0, 10.0)
    np.testing.assert_allclose(out, [0.0, 0.0, 0.5, 1.0])
    assert not to_unit_range(np.ones(3), 2.0, 2.0).any()


def test_volume_options_reject_unknown_keys_and_take_lists():
    assert VolumeOptions.from_mapping({"grid": [8, 8, 8]}).grid == (8, 8, 8)
    with pytest.raises(MedsslError, match="unknown preprocess option 'gird'; valid: preset"):
        VolumeOptions.from_mapping({"gird": 8})

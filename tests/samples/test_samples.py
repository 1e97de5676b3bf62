"""The sample scans shipped in the package: present, readable, labelled, small."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.io import read_image, read_label
from medssl.samples import SAMPLES, sample_names, sample_path


def test_every_sample_reads_with_its_grid():
    flair = read_image(sample_path("brain_flair"))
    label = read_label(sample_path("brain_label"), require_foreground=True)
    mask = read_label(sample_path("brain_mask"), require_foreground=True)
    assert flair.geometry.matches(label.geometry) and flair.geometry.matches(mask.geometry)
    assert flair.geometry.spacing == pytest.approx((2.0, 2.0, 2.0))
    assert set(np.unique(label.array)) == {0, 1, 2, 3, 4}
    assert not label.array[mask.array == 0].any()
    ct = read_image(sample_path("ct"), dtype=None)
    seg = read_label(sample_path("ct_label"), require_foreground=True)
    assert ct.array.dtype == np.int16 and ct.geometry.matches(seg.geometry)
    assert {1, 2, 3, 5} <= set(np.unique(seg.array).tolist())  # spleen, kidneys, liver


def test_licences_and_size():
    folder = sample_path("ct").parent
    assert (folder / "LICENSE_BraTS.txt").is_file()
    assert (folder / "LICENSE_TotalSegmentator.txt").is_file()
    assert (folder / "README.md").is_file()
    total = sum(sample_path(n).stat().st_size for n in sample_names())
    assert total < 3 * 1024 * 1024
    assert set(sample_names()) == set(SAMPLES)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(MedsslError, match="valid samples: brain_flair"):
        sample_path("liver")

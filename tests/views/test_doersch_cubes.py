"""Doersch cube pairs: the partner lies on the recorded face, reproducibly."""

import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.views.context_pairs import sample_points
from medssl.views.doersch_cubes import (
    DoerschCubeConfig,
    DoerschCubeDataset,
    cube_points,
    neighbour_offset,
)


def test_partner_direction_matches_the_label():
    vol = np.random.default_rng(0).random((32, 32, 32)).astype(np.float32)
    ds = DoerschCubeDataset([vol], seed=1, config=DoerschCubeConfig(size=5, gap=1.0, jitter=0.5))
    for i in range(12):
        item = ds[i]
        anchor, partner = item["params"][1:4], item["params"][4:7]
        shift = (partner - anchor).numpy()
        axis = int(np.argmax(np.abs(shift)))
        assert int(item["label"]) == 2 * axis + int(shift[axis] > 0)
        assert item["input"].shape == (2, 5, 5, 5)
    assert torch.equal(ds[3]["input"], ds[3]["input"])


def test_cube_points_follow_array_order():
    coded = torch.tensor(np.meshgrid(*[np.arange(20)] * 3, indexing="ij")[2], dtype=torch.float32)
    cube = sample_points(coded, cube_points(torch.tensor([[9.0, 10.0, 11.0]]), size=3))[0]
    assert cube[0, 0].tolist() == [10.0, 11.0, 12.0]


def test_bad_direction_is_refused():
    assert neighbour_offset(3, size=5, gap=1.0).tolist() == [0.0, 6.0, 0.0]
    with pytest.raises(MedsslError, match="direction"):
        neighbour_offset(6, size=5, gap=1.0)

"""2.5D patch pairs: axis order on a coordinate-coded phantom, reproducibility, curriculum."""

import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.views.context_pairs import (
    ContextPairConfig,
    ContextPairDataset,
    draw_pair,
    heatmap_target,
    in_plane_axes,
    offset_range,
    plane_points,
    sample_points,
)

SHAPE = (30, 31, 32)


def coordinate_phantom(axis: int) -> torch.Tensor:
    """A volume whose voxel holds its own index along ``axis``."""
    grids = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    return torch.tensor(grids[axis], dtype=torch.float32)


@pytest.mark.parametrize("normal", [0, 1, 2])
def test_planes_land_on_the_intended_axes(normal):
    centre = torch.tensor([[14.0, 15.0, 16.0]])
    points = plane_points(centre, normal, size=6, gap=2.0)
    b, c = in_plane_axes(normal)
    values = {k: sample_points(coordinate_phantom(k), points)[0] for k in range(3)}
    u = torch.arange(6) - 2.5
    # The normal coordinate changes only with the plane index, by the gap.
    expected_normal = centre[0, normal] + (torch.arange(3) - 1.0) * 2.0
    assert torch.allclose(values[normal], expected_normal.view(3, 1, 1).expand(3, 6, 6))
    # Rows follow the first in-plane axis, columns the second.
    assert torch.allclose(values[b], (centre[0, b] + u).view(1, 6, 1).expand(3, 6, 6))
    assert torch.allclose(values[c], (centre[0, c] + u).view(1, 1, 6).expand(3, 6, 6))


@pytest.mark.parametrize("normal", [0, 1, 2])
def test_partner_offsets_follow_their_axes(normal):
    cfg = ContextPairConfig(unit=4.0)
    body = np.array([[15, 15, 16]])
    p = draw_pair(
        np.random.default_rng(3), volume=0, axis=normal, body=body, progress=0.5, config=cfg
    )
    centres = torch.tensor([p.anchor, p.partner], dtype=torch.float32)
    b, c = in_plane_axes(normal)
    for k, d in ((normal, p.delta[0]), (b, p.delta[1]), (c, p.delta[2])):
        coded = sample_points(coordinate_phantom(k), plane_points(centres, normal, size=2, gap=0.0))
        shift = coded[1].mean() - coded[0].mean()
        assert float(shift) == pytest.approx(d * cfg.unit, abs=1e-3)


def test_curriculum_moves_from_start_to_end_range():
    cfg = ContextPairConfig()
    assert offset_range(0.0, cfg) == pytest.approx(cfg.start_range)
    assert offset_range(1.0, cfg) == pytest.approx(cfg.end_range)
    low, high = offset_range(0.5, cfg)
    assert 0 < low < 0.25 and 0.3 < high < 0.7


def test_heatmap_peaks_at_the_offset():
    target = heatmap_target(torch.tensor([[1 / 3, -2 / 9]]))
    assert target.shape == (1, 19, 19)
    i, j = np.unravel_index(int(target[0].argmax()), (19, 19))
    assert (i - 9, j - 9) == (3, -2)
    assert float(target.max()) == pytest.approx(10.0)


def test_items_are_reproducible_and_record_their_parameters():
    vol = np.random.default_rng(0).random(SHAPE).astype(np.float32)
    cfg = ContextPairConfig(size=8, unit=6.0)
    ds = ContextPairDataset([vol], seed=5, total=100, config=cfg)
    a, b = ds[7], ds[7]
    assert a["input"].shape == (3, 2, 3, 8, 8) and a["delta"].shape == (3, 2)
    assert torch.equal(a["input"], b["input"]) and not torch.equal(a["input"], ds[8]["input"])
    assert a["params"][:, 1].tolist() == [0, 1, 2]
    assert bool(((a["params"][:, 8].abs() >= 0.125) & (a["params"][:, 8].abs() <= 0.25)).all())


def test_bad_config_is_refused():
    with pytest.raises(MedsslError, match="normal_range"):
        ContextPairConfig(normal_range=(0.3, 0.1))
    with pytest.raises(MedsslError, match="axis must be"):
        in_plane_axes(3)

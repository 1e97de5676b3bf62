"""Dense descriptors equal per-patch descriptors at the block centres."""

import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.methods.context.describers import load_describer, valid_models
from medssl.methods.context.descriptors import (
    CubeDescriber,
    PlaneDescriber,
    block_centres,
    block_shape,
)
from medssl.models.context2d import D2DCNN
from medssl.models.doersch3d import D3DCNN
from medssl.views.context_pairs import plane_points, sample_points
from medssl.views.doersch_cubes import cube_points

SHAPE = (13, 18, 10)


@pytest.fixture()
def volume():
    return np.random.default_rng(0).random(SHAPE).astype(np.float32)


def test_plane_descriptors_match_patches(volume):
    torch.manual_seed(0)
    nets = torch.nn.ModuleList(D2DCNN() for _ in range(3))
    dense = PlaneDescriber(nets)(volume)
    assert dense.shape == (*block_shape(SHAPE), 192)
    centres = block_centres(SHAPE)
    pick = torch.tensor([0, 5, len(centres) // 2, len(centres) - 1])
    vol = torch.tensor(volume)
    with torch.no_grad():
        for axis in range(3):
            patches = sample_points(vol, plane_points(centres[pick], axis, size=42, gap=3.0))
            ref = nets[axis].eval()(patches)[:, :, 0, 0].numpy()
            got = dense.reshape(-1, 192)[pick.numpy(), 64 * axis : 64 * (axis + 1)]
            np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-4)


def test_cube_descriptors_match_cubes(volume):
    torch.manual_seed(0)
    net = D3DCNN(out_channels=8)
    dense = CubeDescriber(net, rows=2)(volume)
    assert dense.shape == (*block_shape(SHAPE), 8)
    centres = block_centres(SHAPE)
    pick = torch.tensor([0, 7, len(centres) - 1])
    with torch.no_grad():
        cubes = sample_points(torch.tensor(volume), cube_points(centres[pick], size=25))
        ref = net.eval()(cubes[:, None])[:, :, 0, 0, 0].numpy()
    np.testing.assert_allclose(dense.reshape(-1, 8)[pick.numpy()], ref, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["xavier", "gvdiff"])
def test_baselines_give_192_d(volume, name):
    d = load_describer(name)
    out = d(volume)
    assert out.shape == (*block_shape(SHAPE), 192) and np.isfinite(out).all()
    np.testing.assert_array_equal(out, load_describer(name)(volume))  # fixed seed


def test_unknown_model_lists_valid_names():
    with pytest.raises(MedsslError, match="gvdiff.*xavier"):
        load_describer("nope")
    assert {"xavier", "gvdiff", "context2d_heatmap"} <= set(valid_models())


def test_pixel_group_norm_normalises_each_group_at_each_pixel():
    from medssl.models.context2d import PixelGroupNorm

    norm = PixelGroupNorm(4, 16)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 2.0)
        norm.bias.uniform_(-1.0, 1.0)
    x = torch.randn(2, 16, 5, 7, generator=torch.Generator().manual_seed(0))
    g = x.view(2, 4, 4, 5, 7)
    ref = (g - g.mean(2, keepdim=True)) / torch.sqrt(g.var(2, unbiased=False, keepdim=True) + 1e-5)
    ref = ref.view(2, 16, 5, 7) * norm.weight.view(1, -1, 1, 1) + norm.bias.view(1, -1, 1, 1)
    for layout in (torch.contiguous_format, torch.channels_last):
        torch.testing.assert_close(norm(x.contiguous(memory_format=layout)), ref)

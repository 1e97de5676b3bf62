"""Heads built from the MLP base."""

from __future__ import annotations

import pytest
import torch

from medssl.errors import MedsslError
from medssl.models import (
    MLP,
    GlobalPoolHead,
    MultiLevelPoolHead,
    PredictionHead,
    ProjectionHead,
    create_model,
)


def test_global_pool_head_on_bottleneck():
    encoder = create_model("unet3d_tiny").encoder
    head = GlobalPoolHead(encoder.out_channels[-1], 16, 4)
    features = encoder(torch.randn(1, 1, 16, 16, 16))
    assert head(features[-1]).shape == (1, 4)


def test_multi_level_head_on_several_levels():
    encoder = create_model("unet3d_tiny").encoder
    head = MultiLevelPoolHead(encoder.out_channels[1:], 8, 1)
    features = encoder(torch.randn(2, 1, 16, 16, 16))
    assert head(features[1:]).shape == (2, 1)
    with pytest.raises(MedsslError, match="channels"):
        head(features[:3])


def test_byol_heads():
    projector = ProjectionHead(32, 64, 16)
    predictor = PredictionHead(16, 64, 16)
    z = projector(torch.randn(4, 32))
    assert predictor(z).shape == (4, 16)
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in projector.modules())


def test_mlp_layout_and_bad_width():
    mlp = MLP(8, [16, 16], 2)
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with pytest.raises(MedsslError, match="widths must be >= 1"):
        MLP(8, [0], 2)

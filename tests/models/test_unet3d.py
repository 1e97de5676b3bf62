"""3D UNet: shapes, encoder features, bf16 + channels_last, parameter count."""

from __future__ import annotations

import pytest
import torch

from medssl.errors import MedsslError
from medssl.models import UNet3D, count_parameters, create_model


@pytest.mark.parametrize("shape", [(24, 40, 8), (16, 16, 16), (8, 24, 56)])
def test_output_shape_odd_multiples_of_8(shape):
    model = create_model("unet3d_tiny", in_channels=2, out_channels=3).eval()
    x = torch.randn(1, 2, *shape)
    assert model(x).shape == (1, 3, *shape)


def test_encoder_returns_one_feature_map_per_level():
    model = create_model("unet3d_tiny").eval()
    features = model.encoder(torch.randn(2, 1, 24, 16, 8))
    assert model.encoder.out_channels == [4, 8, 16, 32]
    assert model.encoder.strides == [1, 2, 4, 8]
    assert model.size_divisor == 8
    for f, c, s in zip(features, model.encoder.out_channels, model.encoder.strides, strict=True):
        assert f.shape == (2, c, 24 // s, 16 // s, 8 // s)


def test_forward_with_features_matches_forward():
    model = create_model("unet3d_tiny", out_channels=2).eval()
    x = torch.randn(1, 1, 16, 16, 16)
    logits, features = model.forward_with_features(x)
    assert torch.allclose(logits, model(x))
    assert len(features) == 4


def test_bf16_autocast_channels_last_forward_and_backward():
    model = create_model("unet3d_tiny", out_channels=2).to(memory_format=torch.channels_last_3d)
    x = torch.randn(2, 1, 16, 16, 16).to(memory_format=torch.channels_last_3d)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    assert out.shape == (2, 2, 16, 16, 16)
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out.float()).all()
    out.float().mean().backward()
    assert model.encoder.levels[0][0][0].weight.grad is not None


def test_parameter_count_of_base_32():
    model = UNet3D(1, 1, base_width=32)
    assert model.encoder.out_channels == [32, 64, 128, 256]
    assert count_parameters(model) == 5_601_121
    assert count_parameters(model.encoder) == 3_514_080


def test_bad_input_sizes_and_options_raise():
    model = create_model("unet3d_tiny").eval()
    with pytest.raises(MedsslError, match="multiples of 8"):
        model(torch.randn(1, 1, 20, 16, 16))
    with pytest.raises(MedsslError, match="1 channel"):
        model(torch.randn(1, 2, 16, 16, 16))
    with pytest.raises(MedsslError, match="5-D"):
        model(torch.randn(1, 16, 16, 16))
    with pytest.raises(MedsslError, match="num_levels"):
        create_model("unet3d", num_levels=1)

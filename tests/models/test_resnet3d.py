"""3D ResNet encoders and the SegNet built on them."""

from __future__ import annotations

import pytest
import torch

from medssl.errors import MedsslError
from medssl.models import SegNet, count_parameters, create_model


@pytest.mark.parametrize(
    ("output_stride", "strides"),
    [(32, [2, 4, 8, 16, 32]), (16, [2, 4, 8, 16, 16]), (8, [2, 4, 8, 8, 8])],
)
def test_output_stride_sets_feature_strides(output_stride, strides):
    encoder = create_model("resnet3d_tiny", output_stride=output_stride).eval()
    assert encoder.strides == strides
    assert encoder.size_divisor == output_stride
    features = encoder(torch.randn(1, 1, 32, 32, 64))
    for f, c, s in zip(features, encoder.out_channels, encoder.strides, strict=True):
        assert f.shape == (1, c, 32 // s, 32 // s, 64 // s)


def test_resnet50_layout():
    encoder = create_model("resnet3d50", base_width=8).eval()
    assert encoder.out_channels == [8, 32, 64, 128, 256]
    assert [len(stage) for stage in encoder.stages] == [3, 4, 6, 3]
    assert encoder(torch.randn(1, 1, 32, 32, 32))[-1].shape == (1, 256, 1, 1, 1)


def test_full_size_parameter_counts():
    assert count_parameters(create_model("resnet3d18")) == 33_160_000
    assert count_parameters(create_model("resnet3d50")) == 46_155_072


@pytest.mark.parametrize(
    ("output_stride", "shape"), [(8, (24, 40, 8)), (16, (48, 16, 80)), (32, (32, 32, 64))]
)
def test_segnet_on_resnet_returns_input_size(output_stride, shape):
    model = create_model(
        "segnet",
        encoder="resnet3d_tiny",
        out_channels=3,
        encoder_options={"output_stride": output_stride},
    ).eval()
    assert isinstance(model, SegNet)
    assert model.size_divisor == output_stride
    assert model(torch.randn(1, 1, *shape)).shape == (1, 3, *shape)


def test_segnet_bf16_channels_last():
    model = create_model("segnet", encoder="resnet3d_tiny", out_channels=2)
    model = model.to(memory_format=torch.channels_last_3d)
    x = torch.randn(2, 1, 32, 32, 32).to(memory_format=torch.channels_last_3d)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    assert out.shape == (2, 2, 32, 32, 32)
    assert torch.isfinite(out.float()).all()


def test_segnet_on_unet_encoder():
    model = create_model("segnet", encoder="unet3d_tiny", out_channels=2).eval()
    assert model(torch.randn(1, 1, 16, 16, 16)).shape == (1, 2, 16, 16, 16)


def test_bad_options_raise():
    with pytest.raises(MedsslError, match="output_stride must be 8, 16 or 32; got 4"):
        create_model("resnet3d_tiny", output_stride=4)
    with pytest.raises(MedsslError, match="multiples of 32"):
        create_model("resnet3d_tiny").eval()(torch.randn(1, 1, 16, 32, 32))
    with pytest.raises(MedsslError, match="not an encoder"):
        SegNet(torch.nn.Identity(), torch.nn.Identity(), out_channels=2)


def test_per_axis_output_stride():
    encoder = create_model("resnet3d_tiny", output_stride=(16, 16, 8)).eval()
    assert encoder.axis_strides[-1] == (16, 16, 8) and encoder.strides[-1] == 16
    features = encoder(torch.randn(1, 1, 32, 48, 16))
    assert features[-1].shape[2:] == (2, 3, 2)
    assert features[3].shape[2:] == (2, 3, 2)
    assert features[2].shape[2:] == (4, 6, 2)
    with pytest.raises(MedsslError, match=r"multiples of \(16, 16, 8\)"):
        encoder(torch.randn(1, 1, 32, 48, 12))
    # Weights do not depend on the stride: one state dict fits every output stride.
    create_model("resnet3d_tiny", output_stride=16).load_state_dict(encoder.state_dict())

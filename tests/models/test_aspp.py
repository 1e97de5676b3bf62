"""The ResNet + ASPP segmentation network: shapes, layout, strict encoder loading."""

from __future__ import annotations

import pytest
import torch

from medssl.errors import MedsslError
from medssl.models import SegNet, create_model, load_encoder_weights, save_weights
from medssl.models.aspp import ASPPDecoder, SeparableConv3d


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("output_stride", [16, 8, (16, 16, 8)])
def test_output_has_the_input_size(output_stride):
    model = create_model("resnet3d_tiny_aspp", out_channels=3, output_stride=output_stride).eval()
    assert isinstance(model, SegNet)
    assert model(torch.randn(1, 1, 32, 48, 16)).shape == (1, 3, 32, 48, 16)


def test_layout_matches_the_paper():
    model = create_model("resnet3d_tiny_aspp")
    decoder = model.decoder
    assert isinstance(decoder, ASPPDecoder)
    dilations = [b[0].dilation for b in decoder.aspp.branches]
    assert dilations == [(2, 2, 2), (4, 4, 4), (8, 8, 8)]
    assert all(
        isinstance(b[0], torch.nn.Conv3d) and b[0].groups == b[0].in_channels
        for b in decoder.aspp.branches
    )
    assert len(decoder.blocks) == 4
    assert [b.skip is not None for b in decoder.blocks] == [True, True, True, False]
    for block in decoder.blocks:
        assert isinstance(block.up[0], torch.nn.ConvTranspose3d)
        assert all(isinstance(m, SeparableConv3d) for m in block.residual.body)
    big = create_model("resnet3d50_aspp", base_width=8)
    assert [len(stage) for stage in big.encoder.stages] == [3, 4, 6, 3]


def test_loads_resnet_encoders_strictly_and_rejects_others(tmp_path):
    pretrained = create_model("resnet3d_tiny", output_stride=(16, 16, 8))
    path = save_weights(
        tmp_path / "encoder.pt", pretrained, arch="resnet3d_tiny", config={}, part="encoder"
    )
    model = create_model("resnet3d_tiny_aspp", out_channels=2)
    load_encoder_weights(model, path)
    for key, value in pretrained.state_dict().items():
        torch.testing.assert_close(model.encoder.state_dict()[key], value)
    unet = create_model("unet3d_tiny")
    wrong = save_weights(tmp_path / "unet.pt", unet, arch="unet3d_tiny", config={}, part="model")
    with pytest.raises(MedsslError, match="do not fit") as info:
        load_encoder_weights(model, wrong)
    assert "\n" not in str(info.value)


def test_experiment_accepts_a_fitting_encoder_of_another_arch(tmp_path):
    from medssl.experiments.grid import check_weights

    encoder = create_model("resnet3d_tiny", output_stride=(16, 16, 8))
    path = save_weights(
        tmp_path / "enc.pt", encoder, arch="resnet3d_tiny", config={}, part="encoder"
    )
    check_weights({"pgl": str(path)}, arch="resnet3d_tiny_aspp")
    unet = save_weights(
        tmp_path / "unet.pt",
        create_model("unet3d_tiny"),
        arch="unet3d_tiny",
        config={},
        part="model",
    )
    with pytest.raises(
        MedsslError, match="holds weights for 'unet3d_tiny', expected 'resnet3d_tiny_aspp'"
    ):
        check_weights({"genesis": str(unet)}, arch="resnet3d_tiny_aspp")

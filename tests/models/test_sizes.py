"""Each network's own ``size_divisor``, checked where a patch is given, and 2D networks."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from medssl.config import TrainConfig
from medssl.data import Record
from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.methods.base import check_input_sizes
from medssl.models import check_patch, create_model, load_model, save_weights, size_divisor
from medssl.models.blocks import init_weights, layer


def test_size_divisor_is_the_network_s_own():
    assert size_divisor("unet3d") == 8
    assert size_divisor("unet3d", num_levels=3) == 4
    assert size_divisor("unet3d_tiny", num_levels=2) == 2
    assert size_divisor("resnet3d_tiny") == create_model("resnet3d_tiny").size_divisor
    cfg = TrainConfig(method="rotation", model="unet3d_tiny", model_kwargs={"num_levels": 3})
    wrapper = create_method("rotation", size=16).build_model(cfg)
    assert wrapper.size_divisor == 4  # wrappers expose their encoder's divisor


def test_patch_check_names_the_rule_the_value_and_the_model():
    check_patch([16, 16, 16], "unet3d")
    check_patch([20, 12, 4], "unet3d", {"num_levels": 3})
    with pytest.raises(MedsslError) as info:
        check_patch([20, 16, 16], "unet3d", what="patch")
    assert str(info.value) == (
        "patch (20, 16, 16) must be multiples of 8, the size divisor of model 'unet3d' "
        "(e.g. (24, 16, 16))"
    )


def test_pretrain_checks_method_sizes_before_reading_any_data(tmp_path):
    from medssl.engine.pretrain import pretrain

    cfg = TrainConfig(
        method="genesis",
        model="unet3d",
        method_options={"crop_shape": [20, 16, 16]},
        out=str(tmp_path / "run"),
    )
    never = [Record("x", tmp_path / "missing.nii.gz")]
    with pytest.raises(MedsslError, match=r"method_options.crop_shape \(20, 16, 16\) must be"):
        pretrain(cfg, never)
    assert not (tmp_path / "run").exists()
    # a shallower network takes the same crop
    check_input_sizes(
        create_method("genesis", crop_shape=[20, 16, 16]), "unet3d", {"num_levels": 3}
    )


def test_ld_window_is_checked_too():
    with pytest.raises(MedsslError, match=r"method_options.window \(36, 36, 36\)"):
        check_input_sizes(create_method("ld", patch_size=32, window=36), "unet3d", {})


def test_finetune_checks_the_patch_before_reading_any_data(tmp_path):
    from medssl.segmentation.finetune import FinetuneConfig, finetune

    ft = FinetuneConfig(train=str(tmp_path / "missing.csv"), patch=[20, 20, 20])
    with pytest.raises(MedsslError, match=r"^patch \(20, 20, 20\) must be multiples of 8"):
        finetune(ft, TrainConfig(model="unet3d_tiny"))


def test_sliding_window_follows_the_divisor():
    from medssl.inference.ld import window_size as _window

    assert _window((30, 17, 64), (96, 96, 32), 8) == (32, 24, 32)
    assert _window((30, 17, 64), (96, 96, 30), 4) == (32, 20, 28)


# ---------------------------------------------------------------------------- 2D


def test_unet_builds_in_2d_with_2d_layers():
    torch.manual_seed(0)
    net = create_model("unet_nd_tiny", spatial_dims=2, out_channels=3, num_levels=3)
    assert net.size_divisor == 4 and net.spatial_dims == 2
    assert net(torch.randn(2, 1, 16, 12)).shape == (2, 3, 16, 12)
    kinds = {type(m) for m in net.modules()}
    assert {nn.Conv2d, nn.BatchNorm2d, nn.ConvTranspose2d, nn.MaxPool2d} <= kinds
    assert not kinds & {nn.Conv3d, nn.BatchNorm3d, nn.ConvTranspose3d, nn.MaxPool3d}
    with pytest.raises(MedsslError, match=r"4-D \(N, C, X, Y\)"):
        net(torch.randn(1, 1, 8, 8, 8))
    with pytest.raises(MedsslError, match="multiples of 4"):
        net(torch.randn(1, 1, 10, 8))


def test_2d_weights_files_rebuild(tmp_path):
    net = create_model("unet_nd_tiny", spatial_dims=2)
    rebuilt = load_model(save_weights(tmp_path / "u2.pt", net))
    assert rebuilt.spatial_dims == 2
    x = torch.randn(1, 1, 8, 8)
    assert torch.equal(rebuilt.eval()(x), net.eval()(x))


def test_3d_is_unchanged_by_the_spatial_dims_option():
    torch.manual_seed(3)
    a = create_model("unet3d_tiny")
    torch.manual_seed(3)
    b = create_model("unet_nd_tiny", spatial_dims=3)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_bad_spatial_dims_is_one_line():
    with pytest.raises(MedsslError, match="spatial_dims must be 2 or 3; got 4"):
        create_model("unet_nd_tiny", spatial_dims=4)
    with pytest.raises(MedsslError, match="spatial_dims must be 2 or 3"):
        layer("conv", 1)


@pytest.mark.parametrize("dims", [2, 3])
def test_kaiming_and_xavier_init_cover_2d_and_3d_convs(dims):
    torch.manual_seed(0)
    conv = layer("conv", dims)(64, 128, 3)
    init_weights(conv)
    fan_out = 128 * 3**dims
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / fan_out), rel=0.05)
    assert not conv.bias.any()
    init_weights(conv, scheme="xavier")
    fan_in = 64 * 3**dims
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert conv.weight.abs().max().item() <= bound
    assert conv.weight.abs().max().item() > 0.9 * bound
    with pytest.raises(MedsslError, match="init scheme must be"):
        init_weights(conv, scheme="orthogonal")

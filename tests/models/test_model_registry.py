"""The model registry."""

from __future__ import annotations

import pytest

from medssl.errors import MedsslError
from medssl.models import create_model, model_names


def test_builtin_names_are_registered():
    assert {"unet3d", "unet3d_tiny", "resnet3d50", "resnet3d18", "resnet3d_tiny", "segnet"} <= set(
        model_names()
    )


def test_unknown_name_lists_valid_ones():
    with pytest.raises(MedsslError, match=r"unknown model 'unet2d'; valid names: .*unet3d"):
        create_model("unet2d")


def test_unknown_option_lists_accepted_ones():
    with pytest.raises(MedsslError, match=r"bad options for model 'unet3d_tiny'.*base_width"):
        create_model("unet3d_tiny", width=8)


def test_unknown_encoder_in_segnet():
    with pytest.raises(MedsslError, match="unknown model 'vit'"):
        create_model("segnet", encoder="vit")

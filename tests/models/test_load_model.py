"""``load_model(path)``: any medssl weights file rebuilds its true architecture, or one line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.models import (
    create_model,
    load_model,
    load_weights,
    recorded_architecture,
    save_weights,
)
from medssl.models.sar_net import SarNet
from medssl.models.tile_classifier import TileClassifier
from medssl.models.unet3d import UNet3DEncoder

CFG = SimpleNamespace(model="unet3d_tiny", model_kwargs={"base_width": 2, "num_levels": 2})


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_create_model_records_the_architecture_and_the_file_keeps_it(tmp_path):
    model = create_model("unet3d_tiny", out_channels=2, base_width=2)
    assert recorded_architecture(model) == {
        "arch": "unet3d_tiny",
        "config": {"out_channels": 2, "base_width": 2},
    }
    path = save_weights(tmp_path / "m.pt", model)  # no arch given: the recorded one
    assert load_weights(path).arch == "unet3d_tiny"
    assert _same(load_model(path), model)


@pytest.mark.parametrize(
    "method, options, wrapper",
    [
        ("sar", {"out_shape": [16, 16, 16], "mial_width": 4}, SarNet),
        ("rotation", {"size": 16, "hidden": 8}, TileClassifier),
        ("jigsaw", {"grid": 2, "cell": 10, "tile": 8, "n_permutations": 4}, TileClassifier),
    ],
)
def test_wrappers_are_recorded_so_the_whole_network_rebuilds(tmp_path, method, options, wrapper):
    torch.manual_seed(0)
    built = create_method(method, **options)
    net = built.build_model(CFG)
    assert isinstance(net, wrapper)
    path = save_weights(tmp_path / "model.pt", net)
    rebuilt = load_model(path)
    assert type(rebuilt) is wrapper and _same(rebuilt, net)
    encoder = save_weights(tmp_path / "encoder.pt", built.encoder_of(net), part="encoder")
    wf = load_weights(encoder)
    assert (wf.arch, wf.part) == ("unet3d_tiny", "encoder")  # the network the encoder is of
    assert isinstance(load_model(encoder), UNet3DEncoder)


def test_a_module_that_records_nothing_needs_arch_and_config(tmp_path):
    with pytest.raises(MedsslError, match="Conv3d records no architecture"):
        save_weights(tmp_path / "x.pt", torch.nn.Conv3d(1, 1, 1))


def _one_line(path, match: str) -> None:
    with pytest.raises(MedsslError, match=match) as info:
        load_model(path)
    assert "\n" not in str(info.value)


def test_not_a_medssl_file_is_one_line(tmp_path):
    (tmp_path / "notes.pt").write_text("hello")
    _one_line(tmp_path / "notes.pt", "not a medssl weights file")
    torch.save({"state_dict": {}}, tmp_path / "foreign.pt")
    _one_line(tmp_path / "foreign.pt", "not a medssl weights file")
    _one_line(tmp_path / "missing.pt", "does not exist")


def _payload(**changes) -> dict:
    model = create_model("unet3d_tiny", base_width=2, num_levels=2)
    payload = {
        "format": "medssl-weights",
        "format_version": 2,
        "arch": "unet3d_tiny",
        "config": {"base_width": 2, "num_levels": 2},
        "part": "model",
        "medssl_version": "0",
        "extra": {},
        "state_dict": model.state_dict(),
    }
    return payload | changes


def test_unknown_arch_and_newer_format_are_one_line(tmp_path):
    torch.save(_payload(arch="nonet"), tmp_path / "a.pt")
    _one_line(tmp_path / "a.pt", "unknown architecture 'nonet'; this medssl builds: .*unet3d")
    torch.save(_payload(format_version=9), tmp_path / "b.pt")
    _one_line(tmp_path / "b.pt", "format version 9; this medssl .* reads versions 1, 2")
    torch.save(_payload(config={"widht": 2}), tmp_path / "c.pt")
    _one_line(tmp_path / "c.pt", "cannot build the network stored in .*c.pt: bad options")


def test_key_mismatch_is_one_line(tmp_path):
    torch.save(_payload(config={"base_width": 4, "num_levels": 2}), tmp_path / "k.pt")
    _one_line(tmp_path / "k.pt", r"do not fit UNet3D: .*shape mismatch")


def test_version_one_files_still_load(tmp_path):
    torch.save(_payload(format_version=1), tmp_path / "v1.pt")
    assert load_model(tmp_path / "v1.pt").out_channels == 1

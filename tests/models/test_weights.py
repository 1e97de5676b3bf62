"""Weights files: round trips, encoder-only files, strict loading, bad files."""

from __future__ import annotations

import pickle

import pytest
import torch

from medssl.errors import MedsslError
from medssl.models import (
    build_model_from_weights,
    create_model,
    load_encoder_weights,
    load_model_weights,
    load_state_strict,
    load_weights,
    save_weights,
)

CONFIG = {"in_channels": 1, "out_channels": 2, "base_width": 4}


@pytest.fixture
def unet():
    torch.manual_seed(0)
    return create_model("unet3d", **CONFIG)


@pytest.fixture
def unet_file(tmp_path, unet):
    return save_weights(tmp_path / "unet.pt", unet, arch="unet3d", config=CONFIG, extra={"step": 7})


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_rebuilds_the_network(unet, unet_file):
    wf = load_weights(unet_file, expected_arch="unet3d")
    assert (wf.arch, wf.part, wf.config, wf.extra) == ("unet3d", "model", CONFIG, {"step": 7})
    rebuilt = build_model_from_weights(unet_file)
    assert _same(rebuilt, unet)
    x = torch.randn(1, 1, 16, 16, 16)
    assert torch.allclose(rebuilt.eval()(x), unet.eval()(x))


def test_channels_last_model_saves_and_loads(tmp_path, unet):
    unet = unet.to(memory_format=torch.channels_last_3d)
    path = save_weights(tmp_path / "cl.pt", unet, arch="unet3d", config=CONFIG)
    fresh = create_model("unet3d", **CONFIG)
    load_model_weights(fresh, path)
    assert _same(fresh, unet)


def test_encoder_only_round_trip(tmp_path, unet):
    path = save_weights(tmp_path / "enc.pt", unet, arch="unet3d", config=CONFIG, part="encoder")
    wf = load_weights(path)
    assert wf.part == "encoder"
    assert all(not k.startswith(("encoder.", "decoder.", "head.")) for k in wf.state_dict)
    encoder = build_model_from_weights(path)
    assert _same(encoder, unet.encoder)
    # into the encoder of a fresh UNet and of a SegNet built on the same encoder
    fresh = create_model("unet3d", **CONFIG)
    load_encoder_weights(fresh, path)
    assert _same(fresh.encoder, unet.encoder)
    seg = create_model(
        "segnet", encoder="unet3d", out_channels=5, encoder_options={"base_width": 4}
    )
    load_encoder_weights(seg, path)
    assert _same(seg.encoder, unet.encoder)


def test_encoder_weights_from_a_full_network_file(unet, unet_file):
    seg = create_model(
        "segnet", encoder="unet3d", out_channels=3, encoder_options={"base_width": 4}
    )
    load_encoder_weights(seg, unet_file)
    assert _same(seg.encoder, unet.encoder)


def test_bare_encoder_is_saved_as_encoder(tmp_path):
    encoder = create_model("resnet3d_tiny")
    path = save_weights(tmp_path / "r.pt", encoder, arch="resnet3d_tiny", config={})
    assert load_weights(path).part == "encoder"
    seg = create_model("segnet", encoder="resnet3d_tiny")
    load_encoder_weights(seg, path, expected_arch="resnet3d_tiny")
    assert _same(seg.encoder, encoder)


def test_wrong_arch_is_named(tmp_path, unet_file):
    with pytest.raises(MedsslError, match=r"holds weights for 'unet3d', expected 'resnet3d50'"):
        load_weights(unet_file, expected_arch="resnet3d50")
    seg = create_model("segnet", encoder="resnet3d_tiny")
    with pytest.raises(MedsslError, match=r"encoder of 'unet3d'.*missing key.*unexpected key"):
        load_encoder_weights(seg, unet_file)


def test_strict_load_lists_missing_unexpected_and_shapes(unet):
    state = dict(unet.state_dict())
    del state["head.weight"]
    state["extra.weight"] = torch.zeros(1)
    state["head.bias"] = torch.zeros(7)
    target = create_model("unet3d", **CONFIG)
    with pytest.raises(MedsslError) as info:
        load_state_strict(target, state, source="x.pt")
    message = str(info.value)
    assert "1 missing key(s) (head.weight)" in message
    assert "1 unexpected key(s) (extra.weight)" in message
    assert "head.bias: file [7] vs model [2]" in message
    assert "\n" not in message


def test_long_key_lists_are_cut_with_a_count(unet):
    target = create_model("unet3d", **CONFIG)
    with pytest.raises(MedsslError, match=r"and \d+ more"):
        load_state_strict(target, {}, source="empty")


def test_base_width_mismatch_is_a_shape_error(tmp_path, unet_file):
    bigger = create_model("unet3d", in_channels=1, out_channels=2, base_width=8)
    with pytest.raises(MedsslError, match="shape mismatch"):
        load_model_weights(bigger, unet_file)


def test_random_bytes_file_is_corrupt(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(torch.randint(0, 256, (4096,), dtype=torch.uint8).numpy().tobytes())
    with pytest.raises(MedsslError, match="corrupt or not a medssl weights file"):
        load_weights(path)


def test_truncated_file_is_corrupt(tmp_path, unet_file):
    data = unet_file.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MedsslError, match=f"cannot read weights file {cut}: corrupt"):
        build_model_from_weights(cut)


def test_foreign_files_are_refused(tmp_path, unet):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"format": "medssl-weights"}))
    bare_state = tmp_path / "state.pt"
    torch.save(unet.state_dict(), bare_state)
    whole_module = tmp_path / "module.pt"
    torch.save(unet, whole_module)
    for path in (plain, bare_state, whole_module):
        with pytest.raises(MedsslError, match="not a medssl weights file"):
            load_weights(path)
    with pytest.raises(MedsslError, match="does not exist"):
        load_weights(tmp_path / "missing.pt")


def test_encoder_file_into_full_model_is_refused(tmp_path, unet):
    path = save_weights(tmp_path / "enc.pt", unet, arch="unet3d", config=CONFIG, part="encoder")
    with pytest.raises(MedsslError, match="only encoder weights"):
        load_model_weights(create_model("unet3d", **CONFIG), path)


def test_save_checks_its_arguments(tmp_path, unet):
    with pytest.raises(MedsslError, match="unknown model 'unet'"):
        save_weights(tmp_path / "a.pt", unet, arch="unet", config=CONFIG)
    with pytest.raises(MedsslError, match="config.path must hold only plain data"):
        save_weights(tmp_path / "a.pt", unet, arch="unet3d", config={"path": tmp_path})
    with pytest.raises(MedsslError, match="part must be"):
        save_weights(tmp_path / "a.pt", unet, arch="unet3d", config=CONFIG, part="decoder")
    with pytest.raises(TypeError, match=r"save_weights\(path, model"):
        save_weights(unet, tmp_path / "a.pt", arch="unet3d", config=CONFIG)
    assert not (tmp_path / "a.pt").exists()

"""TrainConfig: YAML + overrides, unknown keys and bad values are one clear error."""

from __future__ import annotations

import pytest
import yaml

from medssl.config import TrainConfig, load_config, parse_overrides, save_config
from medssl.errors import MedsslError


def test_yaml_then_overrides_win(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("method: genesis\nsteps: 100\nlr: 1e-3\nmodel_kwargs: {base_width: 8}\n")
    cfg = load_config(path, ["steps=5", "model_kwargs.num_levels=3", "precision=fp32"])
    assert cfg.method == "genesis" and cfg.steps == 5 and cfg.lr == pytest.approx(1e-3)
    assert cfg.model_kwargs == {"base_width": 8, "num_levels": 3} and cfg.precision == "fp32"


def test_save_round_trip(tmp_path):
    cfg = load_config(None, {"method": "sar", "data": ["a.nii.gz"], "seed": 3})
    save_config(cfg, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == cfg
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["seed"] == 3


def test_unknown_key_lists_valid_keys(tmp_path):
    with pytest.raises(MedsslError, match="unknown key 'stpes'.*valid keys: method"):
        load_config(None, ["method=x", "stpes=3"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimizer=adamax", "unknown optimizer 'adamax'; valid: adam, adamw, sgd, lars"),
        ("schedule=step", "unknown schedule 'step'; valid: constant, cosine, plateau"),
        ("precision=fp16", "unknown precision"),
        ("lr=0", "lr must be a positive"),
        ("lr=-1", "lr must be a positive"),
        ("steps=0", "steps must be >= 1"),
        ("batch_size=0", "batch_size must be >= 1"),
        ("steps=abc", "steps in overrides must be an integer"),
        ("steps=2.5", "steps in overrides must be an integer"),
        ("num_workers=-1", "num_workers must be >= 0"),
        ("warmup_steps=5000", "warmup_steps must be smaller"),
        ("deterministic=maybe", "deterministic in overrides must be true or false"),
        ("model_kwargs=3", "model_kwargs in overrides must be a mapping"),
    ],
)
def test_bad_values(override, message):
    with pytest.raises(MedsslError, match=message):
        load_config(None, ["method=x", override])


def test_missing_method_and_bad_files(tmp_path):
    with pytest.raises(MedsslError, match="method must be set"):
        TrainConfig().check()
    with pytest.raises(MedsslError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(MedsslError, match="must hold a mapping"):
        load_config(tmp_path / "list.yaml")
    with pytest.raises(MedsslError, match="expects key=value"):
        parse_overrides(["steps"])

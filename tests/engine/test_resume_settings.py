"""--resume refuses changed run-defining settings unless --force, and keeps config.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tiny_method import TinyMethod

from medssl.cli.main import main
from medssl.config import TrainConfig
from medssl.engine import Trainer
from medssl.engine.resume import differences
from medssl.errors import MedsslError
from medssl.methods import METHODS


def _records(*names: str) -> list[dict[str, str]]:
    return [{"image": f"/data/{n}.nii.gz"} for n in names]


def _first_run(tiny_cfg, tiny_method, **kw):
    Trainer(tiny_method(), tiny_cfg(steps=2, **kw), _records("a", "b")).fit()


def test_changed_seed_and_lr_are_refused_with_old_and_new_values(tiny_cfg, tiny_method):
    _first_run(tiny_cfg, tiny_method)
    cfg = tiny_cfg(steps=4, resume=True, seed=8, lr=0.02)
    with pytest.raises(MedsslError) as info:
        Trainer(tiny_method(), cfg, _records("a", "b")).fit()
    message = str(info.value)
    assert "lr 0.01 -> 0.02; seed 7 -> 8; pass --force" in message
    assert str(Path(cfg.out) / "checkpoints" / "last.pt") in message
    assert "\n" not in message


def test_changed_data_list_is_refused(tiny_cfg, tiny_method):
    _first_run(tiny_cfg, tiny_method)
    with pytest.raises(MedsslError, match=r"data files 2 -> 3 \(added c.nii.gz\)"):
        Trainer(tiny_method(), tiny_cfg(steps=4, resume=True), _records("a", "b", "c")).fit()
    with pytest.raises(MedsslError, match=r"data files 2 -> 1 \(removed b.nii.gz\)"):
        Trainer(tiny_method(), tiny_cfg(steps=4, resume=True), _records("a")).fit()


def test_changed_optimizer_schedule_and_method_options_are_refused(tiny_cfg, tiny_method):
    _first_run(tiny_cfg, tiny_method)
    cfg = tiny_cfg(steps=4, resume=True, optimizer="sgd", batch_size=1, method_options={"n": 3})
    with pytest.raises(MedsslError, match="batch_size 2 -> 1; method_options {} -> {'n': 3}; "):
        Trainer(tiny_method(), cfg, _records("a", "b")).fit()


def test_force_continues_and_keeps_config_yaml(tiny_cfg, tiny_method):
    _first_run(tiny_cfg, tiny_method)
    run = Path(tiny_cfg().out)
    original = (run / "config.yaml").read_text()
    cfg = tiny_cfg(steps=4, resume=True, force=True, lr=0.02)
    assert Trainer(tiny_method(), cfg, _records("a", "b")).fit().step == 4
    assert (run / "config.yaml").read_text() == original
    resumed = yaml.safe_load((run / "config.resumed-1.yaml").read_text())
    assert resumed["lr"] == 0.02 and resumed["steps"] == 4
    # the checkpoint now describes the forced run: resuming it again needs no --force
    Trainer(tiny_method(), tiny_cfg(steps=5, resume=True, lr=0.02), _records("a", "b")).fit()
    assert (run / "config.yaml").read_text() == original
    assert yaml.safe_load((run / "config.resumed-2.yaml").read_text())["steps"] == 5


def test_operational_settings_may_change_and_same_settings_write_nothing(tiny_cfg, tiny_method):
    _first_run(tiny_cfg, tiny_method)
    run = Path(tiny_cfg().out)
    kw = {"resume": True, "num_workers": 1, "log_every": 2, "ckpt_every": 1}
    Trainer(tiny_method(), tiny_cfg(steps=2, **kw), _records("a", "b")).fit()
    assert sorted(p.name for p in run.glob("config*.yaml")) == [
        "config.resumed-1.yaml",
        "config.yaml",
    ]
    Trainer(tiny_method(), tiny_cfg(steps=2, resume=True), _records("a", "b")).fit()
    assert not (run / "config.resumed-2.yaml").exists()


def test_force_without_resume_is_an_error():
    with pytest.raises(MedsslError, match=r"force only applies to a resumed run"):
        TrainConfig(method="tiny", force=True).check()


def test_differences_use_defaults_for_keys_an_old_checkpoint_lacks():
    assert differences({"lr": 0.1}, {"lr": 0.1, "sync_bn": True, "warmup_steps": 0}) == []
    assert differences({}, {"warmup_steps": 3}) == ["warmup_steps 0 -> 3"]


def test_cli_resume_with_another_seed_is_one_line(tmp_path, capsys, monkeypatch):
    import nibabel as nib
    import numpy as np

    from medssl.methods.base import _ensure_builtin_methods

    _ensure_builtin_methods()
    monkeypatch.setitem(METHODS._items, "tiny_cli", TinyMethod)
    images = tmp_path / "images"
    images.mkdir()
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)), images / "a.nii.gz")
    base = [
        "pretrain", "--method", "tiny_cli", str(images), "--out", str(tmp_path / "run"),
        "--num-workers", "0", "--precision", "fp32", "--steps", "1",
        "--set", "model=tinynet", "--set", "progress=false",
    ]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(base)
    assert info.value.code in (0, None)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main([*base, "--resume", "--seed", "3"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "seed 0 -> 3" in err and "--force" in err
    with pytest.raises(SystemExit) as info:
        main([*base, "--resume", "--seed", "3", "--force", "--steps", "2"])
    assert info.value.code in (0, None), capsys.readouterr().err

"""Resumption: a run interrupted and resumed equals an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from medssl.engine import Trainer
from medssl.errors import MedsslError


@pytest.mark.parametrize("workers", [0, 2])
def test_interrupted_then_resumed_run_matches_straight_run(
    tiny_cfg, tiny_method, tmp_path, workers
):
    kw = {
        "num_workers": workers,
        "schedule": "cosine",
        "warmup_steps": 2,
        "optimizer": "adamw",
        "weight_decay": 0.01,
    }
    straight = Trainer(tiny_method(), tiny_cfg(out=str(tmp_path / "a"), **kw)).fit()

    crashing = Trainer(tiny_method(fail_at=5), tiny_cfg(out=str(tmp_path / "b"), **kw))
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.fit()  # last.pt holds step 3
    first = crashing.step
    resumed_trainer = Trainer(tiny_method(), tiny_cfg(out=str(tmp_path / "b"), resume=True, **kw))
    resumed = resumed_trainer.fit()

    assert first == 5 and resumed.step == 6 and len(resumed.losses) == 3
    torch.testing.assert_close(
        torch.tensor(resumed.losses), torch.tensor(straight.losses[3:]), rtol=0, atol=1e-6
    )
    a = torch.load(tmp_path / "a" / "checkpoints" / "last.pt", weights_only=False)
    b = torch.load(tmp_path / "b" / "checkpoints" / "last.pt", weights_only=False)
    for key, value in a["model_state"].items():
        torch.testing.assert_close(b["model_state"][key], value, rtol=0, atol=1e-6)
    rows = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]


def test_resume_without_checkpoint_is_one_clear_error(tiny_cfg, tiny_method):
    with pytest.raises(MedsslError, match="no checkpoint to resume from"):
        Trainer(tiny_method(), tiny_cfg(resume=True)).fit()


def test_existing_run_without_resume_is_refused(tiny_cfg, tiny_method):
    Trainer(tiny_method(), tiny_cfg(steps=1)).fit()
    with pytest.raises(MedsslError, match="pass --resume"):
        Trainer(tiny_method(), tiny_cfg(steps=2)).fit()


def test_corrupt_checkpoint(tiny_cfg, tiny_method):
    cfg = tiny_cfg(steps=1)
    Trainer(tiny_method(), cfg).fit()
    last = Path(cfg.out) / "checkpoints" / "last.pt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    with pytest.raises(MedsslError, match="corrupt or unreadable"):
        Trainer(tiny_method(), tiny_cfg(steps=2, resume=True)).fit()


def test_checkpoint_of_other_architecture_or_method(tiny_cfg, tiny_method):
    Trainer(tiny_method(), tiny_cfg(steps=1)).fit()
    with pytest.raises(MedsslError, match="model_kwargs"):
        Trainer(tiny_method(), tiny_cfg(steps=2, resume=True, model_kwargs={"width": 8})).fit()
    with pytest.raises(MedsslError, match="method 'tiny'"):
        Trainer(tiny_method(), tiny_cfg(steps=2, resume=True, method="other")).fit()
    with pytest.raises(MedsslError, match="optimizers"):
        Trainer(tiny_method(split=True), tiny_cfg(steps=2, resume=True)).fit()


def test_resume_removes_a_half_written_checkpoint_of_a_killed_run(tiny_cfg, tiny_method):
    Trainer(tiny_method(), tiny_cfg(steps=1)).fit()
    folder = Path(tiny_cfg().out) / "checkpoints"
    stale = folder / ".last.pt.abc123.tmp.pt"
    stale.write_bytes(b"half")
    Trainer(tiny_method(), tiny_cfg(steps=2, resume=True)).fit()
    assert sorted(p.name for p in folder.iterdir()) == ["last.pt"]

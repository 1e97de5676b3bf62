"""The Trainer's run folder, precision, optimizers, validation and exports."""

from __future__ import annotations

import csv

import pytest
import torch
import yaml

from medssl.config import TrainConfig
from medssl.engine import Trainer, load_checkpoint
from medssl.errors import MedsslError
from medssl.models import load_weights


def test_run_folder_holds_config_log_card_checkpoint_and_weights(tiny_cfg, tiny_method):
    cfg = tiny_cfg(steps=4, log_every=2, ckpt_every=0)
    method = tiny_method()
    method.encoder_of = lambda model: model.encoder
    result = Trainer(
        method, cfg, records=[{"image": "case_001.nii.gz"}], argv=["medssl", "x"]
    ).fit()
    run = result.run_dir
    assert yaml.safe_load((run / "config.yaml").read_text())["steps"] == 4
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [r["step"] for r in rows] == ["2", "4"]
    assert {"loss", "mse", "lr_main", "step_time_s", "samples_per_s", "epoch"} <= set(rows[0])
    card = (run / "model_card.md").read_text()
    assert "`medssl x`" in card and "Seed: 7" in card and "case_001.nii.gz" in card
    assert load_checkpoint(run / "checkpoints" / "last.pt", method="tiny")["step"] == 4
    assert load_weights(run / "model.pt").extra["step"] == 4
    assert load_weights(run / "encoder.pt").part == "encoder"
    assert any((run / "tb").iterdir())
    assert not list((run / "checkpoints").glob(".*tmp*"))


def test_bf16_channels_last_trains(tiny_cfg, tiny_method):
    trainer = Trainer(tiny_method(), tiny_cfg(steps=3, precision="bf16"))
    result = trainer.fit()
    assert all(torch.isfinite(torch.tensor(result.losses)))
    weight = trainer.model.encoder[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last_3d)


def test_split_optimizers_log_their_own_lr(tiny_cfg, tiny_method):
    result = Trainer(tiny_method(split=True), tiny_cfg(steps=2, lr=0.1)).fit()
    row = next(csv.DictReader((result.run_dir / "log.csv").open()))
    assert float(row["lr_encoder"]) == pytest.approx(0.1)
    assert float(row["lr_head"]) == pytest.approx(0.01)


def test_validate_writes_best_checkpoint(tiny_cfg, tiny_method):
    result = Trainer(
        tiny_method(validate=True), tiny_cfg(steps=4, val_every=2, schedule="plateau")
    ).fit()
    best = load_checkpoint(result.run_dir / "checkpoints" / "best.pt")
    assert best["best_val"] == result.best_val_loss and best["step"] in (2, 4)
    import csv

    with open(result.run_dir / "log.csv", newline="") as f:
        val_rows = [r for r in csv.DictReader(f) if r.get("val_loss")]
    assert [int(r["step"]) for r in val_rows] == [2, 4]
    assert min(float(r["val_loss"]) for r in val_rows) == pytest.approx(result.best_val_loss)


def test_deterministic_mode_repeats_exactly(tiny_cfg, tiny_method, tmp_path):
    a = Trainer(tiny_method(), tiny_cfg(steps=3, deterministic=True, out=str(tmp_path / "a"))).fit()
    b = Trainer(tiny_method(), tiny_cfg(steps=3, deterministic=True, out=str(tmp_path / "b"))).fit()
    torch.use_deterministic_algorithms(False)
    assert a.losses == b.losses


def test_bad_config_is_refused_before_training(tiny_method):
    with pytest.raises(MedsslError, match="batch_size must be >= 1"):
        Trainer(tiny_method(), TrainConfig(method="tiny", batch_size=0))
    with pytest.raises(MedsslError, match="unknown optimizer 'adamm'"):
        Trainer(tiny_method(), TrainConfig(method="tiny", optimizer="adamm"))


def test_nan_loss_stops_with_a_clear_error(tiny_cfg, tiny_method):
    method = tiny_method()
    method.loss = lambda model, batch: (model(batch["x"]).mean() * float("nan"), {})
    with pytest.raises(MedsslError, match="loss became nan at step 1"):
        Trainer(method, tiny_cfg(steps=2)).fit()


def test_channels_last_auto_skips_instance_norm_networks(tiny_cfg, tiny_method):
    method = tiny_method()
    method.build_model = lambda cfg: torch.nn.Sequential(
        torch.nn.Conv3d(1, 2, 3, padding=1), torch.nn.InstanceNorm3d(2), torch.nn.Conv3d(2, 1, 1)
    )
    auto = Trainer(method, tiny_cfg(steps=1, precision="bf16"))
    auto.fit()
    assert not auto.channels_last
    forced = Trainer(method, tiny_cfg(steps=1, channels_last=True, out=auto.cfg.out + "2"))
    forced.fit()
    assert forced.channels_last


def test_model_and_encoder_files_come_from_the_same_chosen_checkpoint(tiny_cfg, tiny_method):
    """With export_checkpoint = "best", both files hold best.pt, not the last step."""

    class BestFirst(tiny_method):
        export_checkpoint = "best"

        def validate(self, model, cfg):
            self.calls = getattr(self, "calls", 0) + 1
            return {"val_loss": float(self.calls)}  # the first validation is the best

        def encoder_of(self, model):
            return model.encoder

        def export_metadata(self, model):
            return {"threshold": 0.25}

    method = BestFirst(validate=True)
    result = Trainer(method, tiny_cfg(steps=4, val_every=2, ckpt_every=0)).fit()
    run = result.run_dir
    best = load_checkpoint(run / "checkpoints" / "best.pt")
    last = load_checkpoint(run / "checkpoints" / "last.pt")["model_state"]
    assert best["step"] == 2
    model, encoder = load_weights(run / "model.pt"), load_weights(run / "encoder.pt")
    for wf in (model, encoder):
        assert wf.extra["checkpoint"] == "best.pt" and wf.extra["step"] == 2
        assert wf.extra["threshold"] == 0.25 and wf.extra["best_val_loss"] == 1.0
    for key, value in model.state_dict.items():
        assert torch.equal(value, best["model_state"][key])
    assert not all(torch.equal(v, last[k]) for k, v in model.state_dict.items())
    for key, value in encoder.state_dict.items():
        assert torch.equal(value, model.state_dict[f"encoder.{key}"])


def test_init_starts_from_another_runs_weights(tiny_cfg, tiny_method, tmp_path):
    first = Trainer(tiny_method(), tiny_cfg(steps=3, lr=0.1)).fit()
    trained = load_weights(first.run_dir / "model.pt").state_dict
    cfg = tiny_cfg(steps=1, out=str(tmp_path / "second"), init=str(first.run_dir / "model.pt"))
    second = Trainer(tiny_method(), cfg)
    second._setup()
    for name, value in second.model.state_dict().items():
        torch.testing.assert_close(value, trained[name].to(value.dtype), msg=name)
    fresh = Trainer(tiny_method(), tiny_cfg(steps=1, out=str(tmp_path / "third")))
    fresh._setup()
    assert any(
        not torch.equal(value, trained[name]) for name, value in fresh.model.state_dict().items()
    )


def test_init_must_be_a_weights_file(tiny_cfg, tmp_path):
    with pytest.raises(MedsslError, match="init must be a weights file"):
        tiny_cfg(init=str(tmp_path / "nothing.pt")).check()

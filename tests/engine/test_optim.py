"""Optimizers by name, method optimizer specs, LARS and the schedules."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from medssl.config import TrainConfig
from medssl.engine import LARS, Schedule, build_optimizer, build_optimizers, lr_factor
from medssl.errors import MedsslError


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "lars"])
def test_every_optimizer_lowers_a_quadratic(name):
    torch.manual_seed(0)
    w = nn.Parameter(torch.randn(4, 3))
    opt = build_optimizer([w], name=name, lr=0.5 if name == "lars" else 0.05, nesterov=True)
    start = float((w.detach() ** 2).sum())
    for _ in range(20):
        opt.zero_grad()
        (w**2).sum().backward()
        opt.step()
    assert float((w.detach() ** 2).sum()) < start


def test_unknown_optimizer_and_bad_lr():
    w = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(MedsslError, match="unknown optimizer 'rmsprop'; valid: adam"):
        build_optimizer(w, name="rmsprop", lr=0.1)
    with pytest.raises(MedsslError, match="learning rate must be positive"):
        build_optimizer(w, name="adam", lr=0.0)


def test_lars_trust_ratio_scales_2d_but_not_1d_tensors():
    w, b = nn.Parameter(torch.full((2, 2), 2.0)), nn.Parameter(torch.zeros(2))
    opt = LARS([w, b], lr=1.0, momentum=0.0, eta=0.1)
    w.grad, b.grad = torch.full((2, 2), 4.0), torch.ones(2)
    opt.step()
    # trust = 0.1 * ||w|| / ||g|| = 0.1 * 4 / 8 = 0.05 → w -= 0.05 * 4
    torch.testing.assert_close(w.detach(), torch.full((2, 2), 1.8))
    torch.testing.assert_close(b.detach(), -torch.ones(2))


class _Two(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.unet, self.head, self.adv = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 1)


class _SarLike:
    def optimizers(self, model, cfg):
        return {
            "unet": {"params": model.unet.parameters()},
            "scale_head": {"params": model.head.parameters(), "lr_scale": 0.1},
            "adversary": {"params": model.adv.parameters(), "lr": 1e-3, "optimizer": "sgd"},
        }


def test_method_specs_give_one_optimizer_each_with_its_lr():
    opts = build_optimizers(_Two(), _SarLike(), TrainConfig(method="sar", lr=1.0))
    assert list(opts) == ["unet", "scale_head", "adversary"]
    assert [o.param_groups[0]["lr"] for o in opts.values()] == [1.0, 0.1, 1e-3]
    assert isinstance(opts["adversary"], torch.optim.SGD)


def test_bad_spec_is_an_error():
    class Bad:
        def optimizers(self, model, cfg):
            return {"x": {"params": model.parameters(), "learning_rate": 1}}

    with pytest.raises(MedsslError, match="keys must be among"):
        build_optimizers(_Two(), Bad(), TrainConfig(method="m"))


def test_warmup_and_cosine_factors():
    kw = {"name": "cosine", "total_steps": 10, "warmup_steps": 2, "min_lr_ratio": 0.1}
    assert lr_factor(0, **kw) == 0.5 and lr_factor(1, **kw) == 1.0
    assert lr_factor(2, **kw) == pytest.approx(1.0)
    assert lr_factor(6, **kw) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert lr_factor(10, **kw) == pytest.approx(0.1)
    assert lr_factor(5, name="constant", total_steps=10, warmup_steps=0) == 1.0


def test_schedule_sets_lr_and_plateau_reduces_it():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = Schedule(opt, name="plateau", total_steps=10, warmup_steps=2, patience=0, factor=0.5)
    assert opt.param_groups[0]["lr"] == 0.5
    for _ in range(2):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == 1.0
    sched.observe(1.0)
    sched.observe(2.0)
    assert opt.param_groups[0]["lr"] == 0.5
    with pytest.raises(MedsslError, match="unknown schedule 'linear'; valid: constant"):
        Schedule(opt, name="linear", total_steps=10)

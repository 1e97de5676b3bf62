"""The sync_bn switch: BatchNorm becomes SyncBatchNorm under DDP on CUDA, never on CPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from test_distributed import _free_port
from tiny_method import TinyMethod
from torch import nn

from medssl.config import TrainConfig, load_config
from medssl.engine import Trainer
from medssl.engine.distributed import DistInfo, convert_batchnorm, sync_batchnorm

CUDA_DDP = DistInfo(rank=0, world_size=2, device=torch.device("cuda", 0))
CPU_DDP = DistInfo(rank=0, world_size=2, device=torch.device("cpu"))
SINGLE_CUDA = DistInfo(device=torch.device("cuda", 0))


def _bn_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.Conv3d(4, 1, 1)
    )


def test_sync_bn_is_on_by_default():
    assert TrainConfig().sync_bn is True
    assert load_config(None, ["method=x", "sync_bn=false"]).sync_bn is False


@pytest.mark.parametrize(
    ("info", "enabled", "net", "expected"),
    [
        (CUDA_DDP, True, _bn_net, True),
        (CUDA_DDP, False, _bn_net, False),  # switched off
        (CPU_DDP, True, _bn_net, False),  # gloo: SyncBatchNorm needs a GPU
        (SINGLE_CUDA, True, _bn_net, False),  # one process: nothing to synchronise
        (CUDA_DDP, True, lambda: nn.Sequential(nn.Conv3d(1, 2, 1), nn.InstanceNorm3d(2)), False),
    ],
)
def test_switch(info, enabled, net, expected):
    assert sync_batchnorm(net(), info, enabled=enabled) is expected


def test_conversion_keeps_parameters_and_state_dict_keys():
    net = _bn_net()
    keys, weight = list(net.state_dict()), net[1].weight
    converted = convert_batchnorm(net, CUDA_DDP, enabled=True)
    assert isinstance(converted[1], nn.SyncBatchNorm) and converted[1].weight is weight
    assert list(converted.state_dict()) == keys
    plain = _bn_net()
    plain.load_state_dict(converted.state_dict())
    assert convert_batchnorm(net, CPU_DDP, enabled=True) is net


class _BatchNormMethod(TinyMethod):
    def build_model(self, cfg) -> nn.Module:
        return _bn_net()


def _worker(rank: int, out: str, port: int) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    cfg = TrainConfig(
        method="tiny", steps=2, batch_size=2, precision="fp32", num_workers=0,
        ckpt_every=0, out=f"{out}/run", progress=False, device="cpu",
    )  # fmt: skip
    trainer = Trainer(_BatchNormMethod(), cfg)
    trainer.fit()
    kinds = sorted({type(m).__name__ for m in trainer.model.modules()})
    torch.save({"kinds": kinds, "step": trainer.step}, f"{out}/rank{rank}.pt")


def test_two_process_gloo_run_with_batchnorm_keeps_plain_batchnorm(tmp_path: Path):
    mp.start_processes(_worker, args=(str(tmp_path), _free_port()), nprocs=2, start_method="fork")
    for rank in (0, 1):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        assert result["step"] == 2
        assert "BatchNorm3d" in result["kinds"] and "SyncBatchNorm" not in result["kinds"]

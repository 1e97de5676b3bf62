"""Two CPU processes with gloo: the run finishes and ranks agree on weights.

The default test forks two workers of this process (no re-import of torch, so it is
fast); the slow one goes through ``torchrun`` and the ``medssl pretrain`` entry point.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from tiny_method import TinyMethod

from medssl.config import TrainConfig
from medssl.engine import Trainer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, out: str, port: int, workers: int) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    cfg = TrainConfig(
        method="tiny",
        model="tinynet",
        steps=4,
        batch_size=2,
        lr=1e-2,
        precision="fp32",
        num_workers=workers,
        ckpt_every=2,
        log_every=1,
        out=f"{out}/run",
        progress=False,
        seed=3,
    )
    trainer = Trainer(TinyMethod(), cfg)
    result = trainer.fit()
    torch.save(
        {
            "state": trainer.model.state_dict(),
            "world": trainer.dist.world_size,
            "losses": result.losses,
        },
        f"{out}/rank{rank}.pt",
    )


def _check(out: Path) -> None:
    r0, r1 = (torch.load(out / f"rank{r}.pt") for r in (0, 1))
    assert r0["world"] == r1["world"] == 2
    assert r0["losses"] != r1["losses"]  # each rank saw its own shard of the stream
    for key, value in r0["state"].items():
        torch.testing.assert_close(r1["state"][key], value, rtol=0, atol=0)
    assert len((out / "run" / "log.csv").read_text().splitlines()) == 5
    assert (out / "run" / "checkpoints" / "last.pt").is_file()


def test_two_process_gloo_run_keeps_ranks_identical(tmp_path: Path):
    mp.start_processes(
        _worker, args=(str(tmp_path), _free_port(), 0), nprocs=2, start_method="fork"
    )
    _check(tmp_path)


SCRIPT = textwrap.dedent(
    """
    import os, sys
    import torch
    from test_distributed import _worker
    _worker(int(os.environ["RANK"]), sys.argv[1], int(os.environ["MASTER_PORT"]), 1)
    """
)


@pytest.mark.slow
def test_torchrun_two_processes_with_workers(tmp_path: Path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent), OMP_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(script),
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    _check(tmp_path)

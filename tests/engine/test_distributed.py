"""Two CPU processes under torchrun (gloo): the run finishes and ranks agree on weights."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import torch
    from tiny_method import TinyMethod
    from medssl.config import TrainConfig
    from medssl.engine import Trainer

    out = sys.argv[1]
    cfg = TrainConfig(method="tiny", model="tinynet", steps=4, batch_size=2, lr=1e-2,
                      precision="fp32", num_workers=int(sys.argv[2]), ckpt_every=2,
                      log_every=1, out=out + "/run", progress=False, seed=3)
    trainer = Trainer(TinyMethod(), cfg)
    result = trainer.fit()
    rank = os.environ["RANK"]
    torch.save({"state": trainer.model.state_dict(), "world": trainer.dist.world_size,
                "losses": result.losses}, f"{out}/rank{rank}.pt")
    """
)


def test_two_process_gloo_run_keeps_ranks_identical(tmp_path: Path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", str(script), str(tmp_path), "0"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert r0["world"] == r1["world"] == 2
    assert r0["losses"] != r1["losses"]  # each rank saw its own shard of the stream
    for key, value in r0["state"].items():
        torch.testing.assert_close(r1["state"][key], value, rtol=0, atol=0)
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert len(rows) == 5 and (tmp_path / "run" / "checkpoints" / "last.pt").is_file()

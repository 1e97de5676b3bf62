"""The GPU training command, for a few steps, on a CUDA machine with the FLAIR pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
POOL = (
    Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data")) / "brain_flair_pool"
)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.skipif(not POOL.is_dir(), reason="needs ../shared/data/brain_flair_pool")
def test_gpu_config_trains_a_few_steps(tmp_path):
    command = [
        sys.executable, "-m", "medssl.cli.main", "pretrain", "--config", "configs/ld_brain_gpu.yaml",
        "--out", str(tmp_path / "run"), "--steps", "4", "--num-workers", "2",
        "--set", "val_every=4", "--set", "ckpt_every=4", "--set", "method_options.val_samples=2",
    ]  # fmt: skip
    done = subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "run" / "model.pt").is_file()
    log = (tmp_path / "run" / "log.csv").read_text()
    assert "val_fp_ml" in log.splitlines()[0]

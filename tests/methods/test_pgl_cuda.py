"""PGL and BYOL on a CUDA machine: the CPU commands, a few steps each, then fine-tuning."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
BODY = Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data")) / "body"

pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
    pytest.mark.skipif(not (BODY / "totalseg_ct").is_dir(), reason="needs ../shared/data/body"),
]


def _medssl(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "medssl.cli.main", *args],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("name", ["pgl", "byol"])
def test_pretrain_then_finetune_the_aspp_network_on_cuda(tmp_path, name):
    run = tmp_path / name
    _medssl(
        "pretrain", "--config", f"configs/{name}.yaml", "configs/data/pretrain_pgl_ct.csv",
        "--out", str(run), "--steps", "3", "--batch-size", "4", "--num-workers", "2",
        "--set", "warmup_steps=1", "--set", "log_every=1", "--set", "ckpt_every=3",
    )  # fmt: skip
    rows = list(csv.DictReader((run / "log.csv").open()))
    monitor = "local_std" if name == "pgl" else "global_std"
    assert len(rows) == 3 and all(float(r[monitor]) > 0.01 for r in rows)
    _medssl(
        "finetune", "--train", "configs/data/ft_organs_train.csv",
        "--labels", "spleen=1,kidneys=2+3,liver=5", "--model", "resnet3d50_aspp",
        "--pretrained", str(run / "encoder.pt"), "--preset", "ct_pgl",
        "--patch", "96,96,32", "--steps", "2", "--batch-size", "2",
        "--out", str(tmp_path / f"ft_{name}"), "--set", "model_kwargs.output_stride=16",
    )  # fmt: skip
    assert (tmp_path / f"ft_{name}" / "model.pt").is_file()

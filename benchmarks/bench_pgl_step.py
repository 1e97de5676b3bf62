"""Seconds per training step of PGL against BYOL, interleaved in one process.

Both methods train the same 3D ResNet-50 (output stride (16, 16, 8)) on the same view
pairs of 96×96×16 (the paper's 16×96×96 D×H×W), batch 2, bf16 autocast, with the
same LARS optimizer; PGL adds its local heads, FlipAlign, CSAlign (3D RoIAlign) and
the local loss. Steps alternate BYOL, PGL, BYOL, PGL... so that load on a shared
machine hits both alike. Prints the median of each and their ratio; the target is a
PGL step at most 1.25× a BYOL step.

Usage::

    python benchmarks/bench_pgl_step.py [--steps 6] [--warmup 1] [--threads 2] [--width 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

import numpy as np
import torch
from torch.utils.data import default_collate

from medssl.engine.lars import LARS
from medssl.methods import create_method
from medssl.views import make_pgl_dataset


def setup(name: str, width: int) -> tuple:
    torch.manual_seed(0)
    method = create_method(name, input_shape=[96, 96, 16], preprocess={"preset": "none"})
    cfg = SimpleNamespace(
        model="resnet3d50",
        model_kwargs={"base_width": width, "output_stride": [16, 16, 8]},
        steps=1000,
    )
    model = method.build_model(cfg).to(memory_format=torch.channels_last_3d)
    params = [p for p in model.parameters() if p.requires_grad]
    return method, model, LARS(params, lr=0.2, momentum=0.9)


def step(method, model, optimizer, batch) -> float:
    start = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, _ = method.loss(model, batch)
    loss.backward()
    optimizer.step()
    method.on_step_end(model, 1)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    volume = np.random.default_rng(0).normal(size=(160, 160, 48)).astype(np.float32)
    data = make_pgl_dataset([volume], seed=0, length=64, config=None)
    runs = {name: setup(name, args.width) for name in ("byol", "pgl")}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(args.warmup + args.steps):
        batch = default_collate([data[2 * i], data[2 * i + 1]])
        batch = {
            k: v.contiguous(memory_format=torch.channels_last_3d) if v.dim() == 5 else v
            for k, v in batch.items()
        }
        for name, (method, model, optimizer) in runs.items():
            seconds = step(method, model, optimizer, batch)
            if i >= args.warmup:
                times[name].append(seconds)
    byol, pgl = (statistics.median(times[n]) for n in ("byol", "pgl"))
    print(
        f"threads {args.threads}, width {args.width}, batch 2, 96x96x16, bf16, {args.steps} steps each"
    )
    print(f"byol step: {byol:.3f} s (median; all {[round(t, 3) for t in times['byol']]})")
    print(f"pgl  step: {pgl:.3f} s (median; all {[round(t, 3) for t in times['pgl']]})")
    print(f"pgl / byol: {pgl / byol:.3f} (target <= 1.25)")


if __name__ == "__main__":
    main()

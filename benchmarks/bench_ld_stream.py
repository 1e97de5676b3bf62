"""Data stream against training step of the brain LD model, in one run, on one thread.

Usage::

    python benchmarks/bench_ld_stream.py [--config configs/ld_brain.yaml] [--items 12] [--steps 4]

Builds the configured ``ld`` method on its data (the FLAIR pool), then times, on one
thread each:

- an item of the stream (volume randomisation + crop + tumour synthesis), with the
  configured randomisation and with it switched off;
- one optimiser step of the configured network on a batch (forward, backward, Adam),
  in the configured precision.

A step consumes ``batch_size`` items, made by ``num_workers`` workers in parallel, so
the stream keeps up when ``batch_size · item / num_workers`` is below the step time;
the last line says whether it does.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import time
from pathlib import Path

import numpy as np


def time_items(dataset, n: int) -> float:
    dataset[10**6]  # warm caches
    start = time.process_time()
    for index in range(n):
        dataset[index]
    return (time.process_time() - start) / n


def main() -> None:
    import torch
    import yaml

    from medssl.config import TrainConfig
    from medssl.data import load_records
    from medssl.engine.precision import resolve_precision
    from medssl.losses.layer_decomposition import ld_loss
    from medssl.methods import create_method

    torch.set_num_threads(1)
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=repo / "configs/ld_brain.yaml")
    parser.add_argument("--items", type=int, default=12)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    raw = yaml.safe_load(args.config.read_text())
    cfg = TrainConfig(**{k: v for k, v in raw.items() if k in TrainConfig.__dataclass_fields__})
    options = dict(raw["method_options"])
    records = [r for spec in raw["data"] for r in load_records(spec)]
    method = create_method("ld", **options)
    dataset = method.make_dataset(records, cfg, seed=0)
    item_on = time_items(dataset, args.items)
    off = create_method("ld", **(options | {"randomise": None})).make_dataset(records, cfg, seed=0)
    item_off = time_items(off, args.items)

    model = method.build_model(cfg).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)
    batch = {k: torch.stack([dataset[i][k] for i in range(cfg.batch_size)]) for k in dataset[0]}
    bf16 = resolve_precision(torch.device("cpu"), cfg.precision) == "bf16"
    dtype = torch.bfloat16 if bf16 else torch.float32
    times = []
    for step in range(args.steps + 1):
        start = time.process_time()
        with torch.autocast("cpu", dtype=dtype, enabled=dtype == torch.bfloat16):
            loss, _ = ld_loss(model(batch["x"]).float(), batch, method.loss_cfg)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step:  # the first step warms up
            times.append(time.process_time() - start)
    step_s = float(np.mean(times))
    workers = max(1, int(cfg.num_workers))
    per_step = cfg.batch_size * item_on / workers
    print(f"data: {len(records)} volumes from {args.config.name}; 1 thread; CPU seconds")
    print(f"item, randomisation on : {item_on:.3f} s")
    print(f"item, randomisation off: {item_off:.3f} s")
    print(f"training step (batch {cfg.batch_size}, {cfg.precision}, "
          f"{'x'.join(map(str, method.preset.patch_size))}): {step_s:.3f} s")  # fmt: skip
    verdict = "keeps up" if per_step < step_s else "does NOT keep up"
    print(f"stream per step with {workers} worker(s): {per_step:.3f} s -> the stream {verdict}")


if __name__ == "__main__":
    main()

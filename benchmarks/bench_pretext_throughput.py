"""Can one DataLoader worker feed Models Genesis / SAR training? Samples/s on both sides.

Run from the repository root::

    python benchmarks/bench_pretext_throughput.py --batch-size 6 --steps 5 --items 30

For ``genesis`` and ``sar`` it times:

- **generation**: items of the method's own dataset (cached volume read, [0, 1]
  rescale, cube cut / multi-scale cube + resize, the Models Genesis corruptions), made
  one after another in one thread, as one DataLoader worker makes them;
- **training**: optimiser steps of the full-size 3D UNet (32-64-128-256; for SAR with
  its scale head and MIAL) on 64×64×32 batches in bf16 autocast with channels_last_3d
  (on CPU), through the method's ``loss``; samples/s = steps/s × batch size.

The ratio generation / training must be ≥ 1, or training waits for data with one
worker (add workers until it is). Volumes: a BraTS FLAIR and the TotalSegmentator CT
from ``../shared/data`` (or ``$MEDSSL_SHARED_DATA``), preprocessed once into a
temporary cache; random volumes when that folder is absent.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate

from medssl.config import TrainConfig, load_config
from medssl.data import Record
from medssl.engine import build_optimizers
from medssl.engine.precision import autocast_factory, to_channels_last, use_channels_last
from medssl.methods import create_method

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data"))


def real_records() -> list[Record]:
    flair = DATA / "brats_dev" / "brats_2013_pat0003_1" / "flair.nii.gz"
    ct = DATA / "body" / "totalseg_ct" / "ct_full.nii.gz"
    found = [(p, m) for p, m in ((flair, "MR"), (ct, "CT")) if p.is_file()]
    return [Record(p.parent.name, p, modality=m) for p, m in found]


def random_records(folder: Path) -> list[Record]:
    import nibabel as nib

    records = []
    for i, modality in enumerate(("MR", "CT")):
        image = np.random.default_rng(i).normal(0, 1, (160, 160, 128)).astype(np.float32)
        path = folder / f"random{i}.nii.gz"
        nib.save(nib.Nifti1Image(image, np.eye(4)), path)
        records.append(Record(f"random{i}", path, modality=modality))
    return records


def generation_rate(method: Any, records: list[Record], cfg: TrainConfig, items: int) -> float:
    """Items per second made one after another in one thread (one worker)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a DataLoader worker runs single-threaded
    try:
        dataset = method.make_dataset(records, cfg, 0)
        dataset[0]  # open the memory maps once, as a persistent worker does
        start = time.perf_counter()
        for i in range(1, items + 1):
            dataset[i]
        return items / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)


def training_rate(method: Any, records: list[Record], cfg: TrainConfig, steps: int) -> float:
    """Samples per second of full training steps (forward, backward, every optimizer)."""
    device = torch.device(
        cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    )
    torch.manual_seed(0)
    model = method.build_model(cfg).to(device)
    channels_last = use_channels_last(device, cfg.channels_last, model)
    model = to_channels_last(model) if channels_last else model
    optimizers = build_optimizers(model, method, cfg)
    autocast = autocast_factory(device, cfg.precision)
    dataset = method.make_dataset(records, cfg, 1)
    batch = default_collate([dataset[i] for i in range(cfg.batch_size)])
    memory = torch.channels_last_3d if channels_last else torch.contiguous_format
    batch = {
        k: (v.to(device).contiguous(memory_format=memory) if v.ndim == 5 else v.to(device))
        for k, v in batch.items()
    }

    def step() -> None:
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        with autocast():
            loss, _ = method.loss(model, batch)
        loss.backward()
        for opt in optimizers.values():
            opt.step()

    step()  # warm-up: kernel selection, allocations
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * cfg.batch_size / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["genesis", "sar"])
    parser.add_argument("--batch-size", type=int, default=6, help="as in configs/*.yaml")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--items", type=int, default=30, help="timed generated items")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        records = real_records() or random_records(Path(tmp))
        source = ", ".join(f"{r.id} ({r.modality})" for r in records)
        print(
            f"volumes: {source}; torch threads {torch.get_num_threads()}; "
            f"batch {args.batch_size} of 64x64x32"
        )
        print(f"{'method':8s} {'generation (1 worker)':>22s} {'training':>16s} {'ratio':>7s}")
        for name in args.methods:
            cfg = load_config(
                REPO / "configs" / f"{name}.yaml",
                {
                    "batch_size": args.batch_size,
                    "device": args.device,
                    "out": tmp,
                    "method_options.preprocess.cache": str(Path(tmp) / "cache"),
                },
            )
            method = create_method(cfg.method, **cfg.method_options)
            generated = generation_rate(method, records, cfg, args.items)
            trained = training_rate(method, records, cfg, args.steps)
            print(
                f"{name:8s} {generated:15.1f} samples/s {trained:9.2f} samples/s "
                f"{generated / trained:6.1f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

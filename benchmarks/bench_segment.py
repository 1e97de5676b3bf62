"""Time ``medssl segment`` on one 240×240×155 FLAIR with the full-size UNet, vs the baseline.

Run from the repository root::

    python benchmarks/bench_segment.py --threads 2 --repeats 3

The volume is a BraTS FLAIR from ``../shared/data/brats_dev`` (or
``$MEDSSL_SHARED_DATA``); without it, a synthetic brain-like volume of the same size.
The network is the full-size 3D UNet (32-64-128-256 channels, 3 outputs) with random
weights, written in medssl's weights format with the brain FLAIR preset — the speed does
not depend on the weights — or, with ``--model ld_brain_flair``, the shipped model. Each
timing is the whole :func:`medssl.zeroshot.segment.segment_files` call: read,
preprocess, sliding-window network pass (precision auto: bf16 on a CPU with AVX512-BF16
or AMX, fp32 elsewhere), inverse mapping to the input grid, mask written. The first
(cold) call includes oneDNN's one-off kernel set-up and is reported apart; the target (≤
10 s on 2 threads) is for the warm calls. The threshold baseline (``--baseline zscore``)
goes through the same reading and writing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data"))


def _input(folder: Path, case: str) -> Path:
    path = DATA / "brats_dev" / case / "flair.nii.gz"
    if path.is_file():
        return path
    import nibabel as nib

    shape = (240, 240, 155)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    brain = ((grid / np.array([0.6, 0.75, 0.8])[:, None, None, None]) ** 2).sum(0) < 1
    noise = np.random.default_rng(0).normal(0, 1, size=shape)
    image = np.where(brain, noise, 0).astype(np.float32)
    out = folder / "synthetic_flair.nii.gz"
    nib.save(nib.Nifti1Image(image, np.eye(4)), str(out))
    return out


def _model(folder: Path) -> Path:
    import torch

    from medssl.methods.ld.presets import ld_preset
    from medssl.models import create_model, save_weights

    torch.manual_seed(0)
    config = {"in_channels": 1, "out_channels": 3, "base_width": 32}
    model = create_model("unet3d", **config)
    extra = {"method": "ld", "ld": ld_preset("brain_flair").to_dict()}
    return save_weights(folder / "ld_random.pt", model, arch="unet3d", config=config, extra=extra)


def _time(fn, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and process CPU seconds of each call (CPU time is what a busy machine
    does not inflate; with N threads it can reach N times the wall time)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=3, help="warm timed runs per variant")
    parser.add_argument("--case", default="brats_2013_pat0003_1", help="BraTS case folder")
    parser.add_argument(
        "--model", help="weights file or shipped name (default: a random full-size UNet)"
    )
    args = parser.parse_args(argv)

    import torch

    from medssl.engine.precision import resolve_precision
    from medssl.zeroshot.segment import segment_files

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        image = _input(folder, args.case)
        model = args.model or _model(folder)

        def network() -> None:
            segment_files([image], folder / "net", model=model, progress=False)

        def baseline() -> None:
            segment_files([image], folder / "base", baseline="zscore", z=2.0, progress=False)

        (cold,), (cold_cpu,) = _time(network, 1)
        warm, warm_cpu = _time(network, args.repeats)
        base, base_cpu = _time(baseline, args.repeats)
    net_s, base_s = statistics.median(warm), statistics.median(base)
    net = f"model {args.model}" if args.model else "full-size UNet (random)"
    used = resolve_precision(torch.device("cpu"), "auto")
    print(f"input: {image.name} 240x240x155, {args.threads} threads, {net}, {used}")
    print(f"segment (network), cold first call: {cold:.2f} s wall, {cold_cpu:.2f} s CPU")
    print(
        f"segment (network), warm median of {args.repeats}: {net_s:.2f} s wall "
        f"(min {min(warm):.2f}), {statistics.median(warm_cpu):.2f} s CPU; "
        f"target <= 10 s: {'met' if net_s <= 10 else 'NOT met'}"
    )
    print(
        f"segment --baseline zscore, median of {args.repeats}: {base_s:.2f} s wall, "
        f"{statistics.median(base_cpu):.2f} s CPU"
    )
    print(f"ratio network / baseline (wall): {net_s / base_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Inference time and peak memory for one 240×240×155 brain volume.

Both sides run the same randomly initialised network (medssl's ``unet3d``, base width
32, 2 classes) on the same BraTS FLAIR, each in its own subprocess so that its peak
resident memory is its own:

- **baseline**: MONAI ``sliding_window_inference`` in fp32, default memory layout, on
  the whole volume at its native 1 mm grid (z-scored in the brain), 96³ windows,
  overlap 0.5: what a plain MONAI script does.
- **medssl**: ``medssl predict`` end to end: read, preprocess (brain crop, z-score,
  resample to the model's grid), sliding window in bf16 + channels_last_3d, argmax,
  inverse mapping to the input grid and an atomic NIfTI write.

Usage::

    python benchmarks/bench_predict.py [--case PATH] [--threads 2] [--spacing 1.5]
        [--grid 128] [--window 128] [--baseline-window 96]

medssl infers at the model's training spacing (here 1.5 mm, brain cropped and fitted
into a 128³ grid, one 128³ window) and maps the mask back to the 1 mm input grid.

Timings on a shared machine are noisy; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CASE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "brats_dev"
    / "brats_2013_pat0003_1"
    / "flair.nii.gz"
)


def make_model(folder: Path, spacing: float, grid: int, window: int) -> Path:
    """A fine-tuning-format weights file with random weights (timing only)."""
    import torch

    from medssl.models import create_model, save_weights
    from medssl.preprocess import preset

    torch.manual_seed(0)
    model = create_model("unet3d", in_channels=1, out_channels=2)
    pipeline = preset("brain_flair", target_spacing=spacing, grid=grid)
    extra = {
        "task": "segmentation",
        "method": "finetune",
        "labels": "wt=1+2+3+4",
        "preprocess": pipeline.to_config(),
        "patch": [window] * 3,
        "channel": None,
    }
    return save_weights(
        folder / "model.pt",
        model,
        arch="unet3d",
        config={"in_channels": 1, "out_channels": 2},
        extra=extra,
    )


def run_baseline(case: str, window: int) -> dict:
    import nibabel as nib
    import numpy as np
    import torch
    from monai.inferers import sliding_window_inference

    from medssl.models import create_model

    torch.manual_seed(0)
    model = create_model("unet3d", in_channels=1, out_channels=2).eval()
    t0 = time.perf_counter()
    image = nib.load(case).get_fdata(dtype=np.float32)
    brain = image > image.min()
    image = np.where(brain, (image - image[brain].mean()) / image[brain].std(), 0)
    x = torch.from_numpy(image.astype(np.float32))[None, None]
    with torch.no_grad():
        out = sliding_window_inference(x, (window,) * 3, 2, model, overlap=0.5, mode="gaussian")
    mask = out.argmax(1)[0].numpy().astype(np.uint8)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "voxels": int(mask.sum())}


def run_medssl(case: str, model_path: str, out_dir: str) -> dict:
    from medssl.segmentation.predict import predict

    t0 = time.perf_counter()
    predict([case], model_path, out_dir, overlap=0.5, precision="auto")
    return {"seconds": time.perf_counter() - t0}


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    if args.side == "baseline":
        result = run_baseline(args.case, args.baseline_window)
    else:
        result = run_medssl(args.case, args.model, args.out)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def spawn(side: str, args: argparse.Namespace, **extra: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        side,
        "--case",
        str(args.case),
        "--threads",
        str(args.threads),
        "--window",
        str(args.window),
        "--baseline-window",
        str(args.baseline_window),
    ]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{side} run failed:\n{proc.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--spacing", type=float, default=1.5, help="medssl model grid spacing")
    parser.add_argument("--grid", type=int, default=128)
    parser.add_argument(
        "--window", type=int, default=128, help="medssl window (= grid: one window)"
    )
    parser.add_argument("--baseline-window", type=int, default=96)
    parser.add_argument("--child", choices=["baseline", "medssl"])
    parser.add_argument("--model")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        args.side = args.child
        child(args)
        return
    if not args.case.exists():
        raise SystemExit(f"case not found: {args.case} (pass --case)")
    with tempfile.TemporaryDirectory() as tmp:
        model = make_model(Path(tmp), args.spacing, args.grid, args.window)
        medssl = spawn("medssl", args, model=str(model), out=str(Path(tmp) / "pred"))
        base = spawn("baseline", args)
    print(f"case: {args.case} (240×240×155, 1 mm), {args.threads} threads, unet3d base 32")
    print(
        f"baseline  MONAI fp32 sliding window at 1 mm, {args.baseline_window}³ windows: "
        f"{base['seconds']:7.2f} s  peak RSS {base['peak_rss_mb']:7.0f} MB"
    )
    print(
        f"medssl    predict end to end (bf16, {args.spacing} mm grid):      "
        f"{medssl['seconds']:7.2f} s  peak RSS {medssl['peak_rss_mb']:7.0f} MB"
    )
    print(
        f"speed-up  {base['seconds'] / medssl['seconds']:.2f}×   "
        f"memory ratio {medssl['peak_rss_mb'] / base['peak_rss_mb']:.2f} (medssl/baseline)   "
        f"target: medssl ≤ 10 s"
    )


if __name__ == "__main__":
    main()

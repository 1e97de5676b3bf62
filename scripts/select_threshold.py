"""Pick the brain LD model's mask threshold without any tumour label.

For a run folder (``medssl pretrain --config configs/ld_brain.yaml``), the model (or
``--checkpoint``) is scored, for each threshold, on

- the simulated validation samples made from the held-out pool scans with the
  training randomisation (Dice of the predicted against the simulated mask), and
- the held-out pool scans themselves: the predicted volume per scan (cm³), which
  is false positive beyond their few cm³ of MS lesions.

The threshold with the best simulated Dice whose mean held-out volume stays under
``--max-fp-ml`` (default 10 cm³) is printed last. brats_dev is never read. A run with
no held-out scans (``val_data`` unset, as in the liver configs) validates on simulated
samples of its training volumes; the threshold is then the best simulated Dice alone.

Usage::

    python scripts/select_threshold.py runs/ld_brain [--checkpoint runs/ld_brain/checkpoints/best.pt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    import torch
    import yaml

    from medssl.config import TrainConfig
    from medssl.data import load_records
    from medssl.methods import create_method
    from medssl.models import build_model_from_weights

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument(
        "--weights", type=Path,
        help="score these medssl weights (e.g. another run's packaged model) on this run's "
        "validation samples instead of the run's own model",
    )  # fmt: skip
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    )
    parser.add_argument("--max-fp-ml", type=float, default=10.0)
    args = parser.parse_args()
    if args.weights is not None and args.checkpoint is not None:
        parser.error("--weights and --checkpoint exclude each other: give one model")
    raw = yaml.safe_load((args.run / "config.yaml").read_text())
    cfg = TrainConfig(**{k: v for k, v in raw.items() if k in TrainConfig.__dataclass_fields__})
    method = create_method("ld", **raw["method_options"])
    records = [r for spec in raw["data"] for r in load_records(spec)]
    method.make_dataset(records, cfg, seed=int(raw.get("seed", 0)))
    model = build_model_from_weights(args.weights or args.run / "model.pt").eval()
    if args.checkpoint is not None:
        from medssl.engine.checkpoint import load_checkpoint, load_model_state

        state = load_checkpoint(args.checkpoint, method="ld", model=cfg.model,
                                model_kwargs=dict(cfg.model_kwargs))  # fmt: skip
        load_model_state(model, state["model_state"], args.checkpoint)
    items = method.validation_set()
    with torch.no_grad():
        probs = [torch.sigmoid(model(it["x"][None]).float()[0, 2]).numpy() for it in items]
        scans = []
        for v in method._held_out:
            image = v.raw if v.raw is not None else v.image
            pad = [(0, -n % 16) for n in image.shape]
            x = torch.from_numpy(np.pad(image, pad, constant_values=v.fill).astype(np.float32))
            p = torch.sigmoid(model(x[None, None]).float()[0, 2]).numpy()
            scans.append((p[tuple(slice(0, n) for n in image.shape)], v))
    empty = [k for k, it in enumerate(items) if float(it["m"].sum()) == 0]
    voxel_ml = float(method.preset.spacing) ** 3 / 1000
    print(f"{len(items)} simulated validation samples, {len(empty)} of them tumour-free")
    print(
        "| threshold | Dice on simulated validation samples | volume on tumour-free samples "
        "(cm³, mean) | held-out volume per scan (cm³) |"
    )
    print("|---:|---:|---:|---|")
    best = None
    for t in args.thresholds:
        inter = sum(float(((p >= t) * it["m"][0].numpy()).sum()) for p, it in zip(probs, items))
        total = sum(float((p >= t).sum() + it["m"].sum()) for p, it in zip(probs, items))
        dice = 2 * inter / total if total else 1.0
        ml = [float(((p >= t) & v.roi).sum()) * float(np.prod(v.spacing)) / 1000 for p, v in scans]
        free = np.mean([float((probs[k] >= t).sum()) * voxel_ml for k in empty]) if empty else None
        print(
            f"| {t:.2f} | {dice:.3f} | " + ("none" if free is None else f"{free:.1f}") + " | "
            + (", ".join(f"{v:.1f}" for v in ml) or "none") + " |"
        )  # fmt: skip
        if (not ml or np.mean(ml) <= args.max_fp_ml) and (best is None or dice > best[1]):
            best = (t, dice)
    print(f"chosen threshold: {best[0]:.2f}" if best else "no threshold meets --max-fp-ml")


if __name__ == "__main__":
    main()

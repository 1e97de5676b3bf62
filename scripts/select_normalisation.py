"""Choose the in-brain normalisation of the brain LD model without any tumour label.

Two label-free criteria, both on pool scans only (brats_dev is never read):

1. **Invariance** (no training needed). Each held-out scan is domain-randomised
   ``--draws`` times with the training randomisation (``medssl.methods.ld.randomise``:
   bias field, gamma/contrast, blur, thick slices, noise, raw units). For each
   normalisation, the randomised scan is normalised and compared with the normalised
   clean scan: the mean absolute difference inside the brain, in units of the clean
   scan's IQR. Across scans, the spread of the normalised brains' 10th/50th/90th
   percentiles measures how much scanner differences survive. Lower is better.
2. **Thick slices after skull stripping** (no training needed). Each pool scan, in its
   own grid, is averaged into slabs of about 5 mm after its brain was cut out
   (``medssl.zeroshot.corrupt.slices_5mm``), so the background leaks into the brain's
   outer voxels, as in a scan resampled after stripping. The brain interior's
   10th/50th/90th normalised percentiles are compared with the clean scan's (mean
   absolute difference). Lower is better.
3. **Simulated validation** (``--run NAME=RUN_DIR``, repeatable): runs trained with
   each normalisation (same budget) are scored on simulated samples made from the
   held-out scans with the same randomisation (``val_loss``, ``val_dice_sim``) and on
   the false-positive volume predicted in the held-out scans (``val_fp_ml``).

The histogram standardisation's landmarks are learned from the training scans of the
pool CSV and printed, ready for ``method_options.landmarks``.

Usage::

    python scripts/select_normalisation.py [--train configs/data/brain_flair_pool_train.csv]
        [--held-out configs/data/brain_flair_pool_heldout.csv] [--draws 4]
        [--run zscore=runs/ld_zscore --run robust=runs/ld_robust ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def load_2mm(records):
    """Each record's image and brain mask, reoriented, cropped and at 2 mm, unnormalised."""
    from medssl.io import read_image, read_label
    from medssl.methods.ld.presets import pipeline_of

    steps = [{"name": "reorient"}, {"name": "foreground_roi"},
             {"name": "crop", "source": "roi", "margin_mm": 4.0},
             {"name": "resample", "spacing": [2.0, 2.0, 2.0]}]  # fmt: skip
    pipeline = pipeline_of(steps)
    out = []
    for record in records:
        sample = pipeline.apply(read_image(record.image), roi=read_label(record.roi))
        out.append((np.asarray(sample.image, np.float32), np.asarray(sample.roi) > 0))
    return out


def thick_after_stripping(records):
    """Each record's skull-stripped image and brain, and its ~5 mm slab-averaged version."""
    from medssl.io import read_image
    from medssl.preprocess.foreground import foreground
    from medssl.zeroshot.corrupt import slices_5mm

    out = []
    for record in records:
        image = read_image(record.image)
        a = np.asarray(image.array, np.float32)
        b = slices_5mm(a, np.zeros(a.shape, np.uint8), np.asarray(image.geometry.affine))[0]
        out.append((a, foreground(a), b, foreground(b)))
    return out


def interior_marks(image, region) -> np.ndarray:
    """10th/50th/90th percentiles two voxels inside the region's edge."""
    from scipy import ndimage

    return np.percentile(image[ndimage.binary_erosion(region, iterations=2)], [10, 50, 90])


def contrast(image, normal, tumour) -> float:
    """(tumour mean − normal median) / normal IQR."""
    q25, q50, q75 = np.percentile(image[normal], [25, 50, 75])
    return float((image[tumour].mean() - q50) / max(q75 - q25, 1e-6))


def with_tumours(scans):
    """Each scan with a large simulated tumour (texture from the next scan) and its mask."""
    from medssl.synthesis import brain, synthesize

    config = brain(volume_range_mm3=(50_000.0, 200_000.0), intensity_floor=0.0)
    out = []
    for k, (image, roi) in enumerate(scans):
        other, other_roi = scans[(k + 1) % len(scans)]
        shape = tuple(min(a, b) for a, b in zip(image.shape, other.shape))
        box = tuple(slice(0, n) for n in shape)
        sample = synthesize(image[box], other[box], roi[box], params_or_rng=np.random.default_rng(k),
                            spacing=(2.0, 2.0, 2.0), config=config, other_roi=other_roi[box])  # fmt: skip
        sick, mask = image.copy(), np.zeros(image.shape, bool)
        sick[box], mask[box] = sample.image, sample.mask > 0
        out.append((sick, mask))
    return out


def main() -> None:
    import yaml

    from medssl.data import load_records
    from medssl.methods.ld.dataset import intensity_step
    from medssl.methods.ld.presets import NORMALISATIONS, ld_preset
    from medssl.methods.ld.randomise import RandomisationConfig, randomise
    from medssl.preprocess import State
    from medssl.preprocess.robust_norm import train_landmarks

    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default=str(repo / "configs/data/brain_flair_pool_train.csv"))
    parser.add_argument(
        "--held-out", default=str(repo / "configs/data/brain_flair_pool_heldout.csv")
    )
    parser.add_argument("--config", type=Path, default=repo / "configs/ld_brain.yaml")
    parser.add_argument("--draws", type=int, default=4)
    parser.add_argument("--run", action="append", default=[], help="NAME=RUN_DIR; repeatable")
    args = parser.parse_args()

    train = load_2mm(load_records(args.train))
    landmarks = train_landmarks([im for im, _ in train], [m for _, m in train])
    print("histogram landmarks (method_options.landmarks):", [round(v, 4) for v in landmarks])
    held = load_2mm(load_records(args.held_out))
    options = yaml.safe_load(args.config.read_text())["method_options"].get("randomise", True)
    config = RandomisationConfig.from_options(options) or RandomisationConfig()

    print(
        "\n| normalisation | invariance (mean abs diff / IQR) "
        "| spread of p10/p50/p90 across scans | tumour shift | tumour contrast kept |"
    )
    print("|---|---:|---:|---:|---:|")
    tumoured = with_tumours(held)
    for name in NORMALISATIONS:
        step = intensity_step(ld_preset("brain_flair", normalisation=name, landmarks=landmarks))

        def norm(im, roi, step=step):
            state = State(image=im, affine=np.eye(4), roi=roi.astype(np.uint8))
            return step.apply(state)[0].image

        diffs, marks = [], []
        for k, (image, roi) in enumerate(held + train):
            clean = norm(image, roi)
            q25, q75 = np.percentile(clean[roi], [25, 75])
            marks.append(np.percentile(clean[roi], [10, 50, 90]) / max(q75 - q25, 1e-6))
            if k >= len(held):
                continue
            for d in range(args.draws):
                rng = np.random.default_rng([7, k, d])
                # the randomisation normalises with the step under test
                shaken, _ = randomise(clean, roi, (2.0, 2.0, 2.0), rng, config, norm)
                diffs.append(np.abs(shaken[roi] - clean[roi]).mean() / max(q75 - q25, 1e-6))
        spread = float(np.mean(np.std(np.asarray(marks), axis=0)))
        shifts, kept = [], []
        for (image, roi), (sick, mask) in zip(held, tumoured):
            clean, moved = norm(image, roi), norm(sick, roi)
            q25, q75 = np.percentile(clean[roi], [25, 75])
            keep = roi & ~mask
            shifts.append(np.abs(moved[keep] - clean[keep]).mean() / max(q75 - q25, 1e-6))
            kept.append(contrast(moved, keep, mask & roi) / contrast(sick, keep, mask & roi))
        print(
            f"| {name} | {np.mean(diffs):.3f} | {spread:.3f} | {np.mean(shifts):.3f} "
            f"| {np.mean(kept):.3f} |"
        )

    print("\n| normalisation | change after thick slices post-stripping |\n|---|---:|")
    thick = thick_after_stripping(load_records(args.held_out) + load_records(args.train))
    for name in NORMALISATIONS:
        step = intensity_step(ld_preset("brain_flair", normalisation=name, landmarks=landmarks))
        changes = []
        for a, fg_a, b, fg_b in thick:
            clean = step.apply(State(image=a, affine=np.eye(4), roi=fg_a.astype(np.uint8)))[0]
            slab = step.apply(State(image=b, affine=np.eye(4), roi=fg_b.astype(np.uint8)))[0]
            diff = interior_marks(slab.image, fg_b) - interior_marks(clean.image, fg_a)
            changes.append(np.abs(diff).mean())
        print(f"| {name} | {np.mean(changes):.3f} |")

    if args.run:
        print("\n| run | val_loss | val_dice_sim | val_fp_ml (cm³) |\n|---|---:|---:|---:|")
    for spec in args.run:
        name, _, folder = spec.rpartition("=")
        print(
            f"| {name or folder} | "
            + " | ".join(f"{v:.3f}" for v in score_run(Path(folder), args.held_out))
            + " |"
        )


def score_run(folder: Path, held_out: str) -> tuple[float, float, float]:
    """The run's best checkpoint on simulated held-out samples and held-out scans."""
    import torch
    import yaml

    from medssl.config import TrainConfig
    from medssl.data import load_records
    from medssl.methods import create_method
    from medssl.models import build_model_from_weights

    raw = yaml.safe_load((folder / "config.yaml").read_text())
    cfg = TrainConfig(**{k: v for k, v in raw.items() if k in TrainConfig.__dataclass_fields__})
    method = create_method("ld", **(dict(raw["method_options"]) | {"val_data": held_out}))
    records = [r for spec in raw["data"] for r in load_records(spec)]
    method.make_dataset(records, cfg, seed=int(raw.get("seed", 0)))
    model = build_model_from_weights(folder / "model.pt").eval()
    with torch.no_grad():
        m = method.validate(model, cfg)
    return m["val_loss"], m["val_dice_sim"], m["val_fp_ml"]


if __name__ == "__main__":
    main()

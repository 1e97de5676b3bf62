"""Lesion-wise detection by lesion size on simulated held-out samples (label-free).

Each connected component of a simulated mask (``scripts/simulated_heldout.py``) is one
lesion; it is detected when a mask covers more than 10 % of it. The model's mask is the
one ``medssl segment`` writes with the model's stored rule (or ``--candidate``); the
z-score baseline (``--baseline zscore``) is scored beside it. No manual label is read.

Usage::

    python scripts/detection_by_size.py --samples runs/simulated_heldout/samples \\
        [--corruption none] [--model ld_brain_flair] [--candidate 0.5:0.2] [--z 1.5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: Lesion size bins (mm³): MS plaques, small and large lesions, gliomas.
BINS_MM3 = (0.0, 500.0, 2_000.0, 10_000.0, 50_000.0, np.inf)


def lesions(truth: np.ndarray) -> list[np.ndarray]:
    """The 26-connected components of a simulated mask."""
    from scipy import ndimage

    labels, count = ndimage.label(truth, structure=np.ones((3, 3, 3), bool))
    return [labels == i for i in range(1, count + 1)]


def main() -> None:
    from select_mask_rule import mask_of, parse_candidate, probabilities

    from medssl.inference.ld import MIN_VOLUME_MM3
    from medssl.inference.ld_model import load_ld_model
    from medssl.inference.zscore import zscore_threshold
    from medssl.io import read_image, read_label

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, required=True)
    parser.add_argument("--corruption", default="none")
    parser.add_argument("--model", default="ld_brain_flair")
    parser.add_argument("--candidate", help="T or T:GROW (default: the model's rule)")
    parser.add_argument("--z", type=float, default=1.5, help="baseline threshold")
    args = parser.parse_args()
    images = sorted(args.samples.glob(f"*/{args.corruption}/flair.nii.gz"))
    if not images:
        raise SystemExit(f"no samples {args.samples}/*/{args.corruption}/flair.nii.gz")
    model = load_ld_model(args.model)
    high, low = (
        parse_candidate(args.candidate)
        if args.candidate
        else (model.threshold, model.grow_threshold)
    )
    smallest = MIN_VOLUME_MM3 if model.min_volume_mm3 is None else model.min_volume_mm3
    found = {"model": np.zeros(len(BINS_MM3) - 1), "zscore": np.zeros(len(BINS_MM3) - 1)}
    count = np.zeros(len(BINS_MM3) - 1)
    for path, (p, voxel_mm3, _) in zip(images, probabilities(args.model, images)):
        masks = {
            "model": mask_of(p, voxel_mm3, (high, low, smallest, model.min_share)),
            "zscore": zscore_threshold(read_image(path).array, z=args.z, source=str(path)),
        }
        for lesion in lesions(read_label(path.parent / "mask.nii.gz").array > 0):
            b = int(np.searchsorted(BINS_MM3, lesion.sum() * voxel_mm3, side="right")) - 1
            count[b] += 1
            for name, mask in masks.items():
                found[name][b] += np.count_nonzero(mask & lesion) > 0.1 * lesion.sum()
    rule = (f"{high}" if low is None else f"{high} / {low}") + (
        f", components >= {smallest:g} mm³ and >= {model.min_share:g} of the largest"
    )
    print(f"\n{len(images)} samples ({args.corruption}); model rule {rule}, z > {args.z}")
    print("| lesion size (mm³) | lesions | model detects | z-score detects |")
    print("|---|---:|---:|---:|")
    for b in range(len(count)):
        low_mm3, high_mm3 = BINS_MM3[b], BINS_MM3[b + 1]
        size = f"{low_mm3:,.0f}+" if np.isinf(high_mm3) else f"{low_mm3:,.0f}-{high_mm3:,.0f}"
        n = max(count[b], 1.0)
        print(
            f"| {size} | {int(count[b])} | {found['model'][b] / n:.2f} | "
            f"{found['zscore'][b] / n:.2f} |"
        )


if __name__ == "__main__":
    main()

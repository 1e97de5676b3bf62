"""Robustness of zero-shot models to other sources, simulated on the brats_dev FLAIRs.

Each brats_dev FLAIR is corrupted (``medssl.zeroshot.corrupt``: bias field, 5 mm
slices, raw-unit intensities ×1000 + offset, LPS↔RAS storage, 2 mm voxels), written as
a NIfTI in its own grid, segmented by each model and by the z > 1.5 baseline with
``medssl segment``'s library call, and scored (whole tumour, ``label > 0``: Dice and
HD95 in mm) against the label carried through the same corruption. The labels are
read only to score; nothing here is tuned on them.

Usage::

    python scripts/robustness_brats.py --model src/medssl/weights/ld_brain_flair.pt \\
        [--model "name=runs/x/model.pt" ...] [--corruption bias ...] [--bias-correction n4] \\
        [--data ../shared/data/brats_dev] [--out runs/robustness_brats] [--seed 0] \\
        [--markdown FILE]

``--seed`` draws the random corruptions (the bias field); a run rewrites what
``--out`` holds. Prints a table: one row per method and corruption, the per-case Dice, the
mean Dice and HD95, and the mean Dice lost against ``none``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def corrupted_cases(
    cases: list[Path], name: str, folder: Path, seed: int = 0
) -> list[tuple[Path, Path]]:
    """Write each case's corrupted FLAIR and label under ``folder/case``; return the paths."""
    from medssl.io import Geometry, read_image, read_label, write_image
    from medssl.zeroshot.corrupt import corrupt

    out = []
    for case in cases:
        image = read_image(case / "flair.nii.gz")
        label = read_label(case / "label.nii.gz")
        array, lab, affine = corrupt(name, image.array, (label.array > 0).astype(np.uint8),
                                     image.geometry.affine, seed=seed)  # fmt: skip
        geometry = Geometry(array.shape, affine, None)
        target = folder / case.name
        target.mkdir(parents=True, exist_ok=True)
        out.append((write_image(array, geometry, target / "flair.nii.gz"),
                    write_image(lab, geometry, target / "label.nii.gz")))  # fmt: skip
    return out


def score(pred: Path, label: Path, case: str) -> tuple[float, float]:
    from medssl.evaluation import parse_labels
    from medssl.evaluation.metric import evaluate_labelmaps
    from medssl.io import check_same_grid, read_label

    p, g = read_label(pred), read_label(label)
    check_same_grid(p.geometry, g.geometry, what="prediction vs label")
    results, _ = evaluate_labelmaps(p.array, g.array, spacing=g.geometry.spacing,
                                    labels=parse_labels("wt=1"), case=case)  # fmt: skip
    return results[0].dice, results[0].hd95


def main() -> None:
    from medssl.zeroshot.corrupt import CORRUPTIONS
    from medssl.zeroshot.segment import segment_files

    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="weights (NAME=PATH); repeatable")
    parser.add_argument("--corruption", action="append", choices=list(CORRUPTIONS))
    parser.add_argument("--data", type=Path, default=repo.parent / "shared/data/brats_dev")
    parser.add_argument("--out", type=Path, default=repo / "runs/robustness_brats")
    parser.add_argument("--tta", action="store_true", help="test-time flips for the models")
    parser.add_argument(
        "--bias-correction", choices=["n4", "none"], help="the models' --bias-correction"
    )
    parser.add_argument("--seed", type=int, default=0, help="of the random corruptions")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    cases = sorted(p for p in args.data.iterdir() if (p / "flair.nii.gz").is_file())
    corruptions = ["none"] + [c for c in (args.corruption or list(CORRUPTIONS)) if c != "none"]
    methods: dict[str, dict] = {}
    for k, spec in enumerate(args.model or ["ld_brain_flair"]):
        name, sep, path = spec.rpartition("=")
        if not sep:
            name, path = ("layer decomposition" if k == 0 else Path(spec).parent.name), spec
        methods[name] = {"model": path, "mirror": args.tta}
        if args.bias_correction:
            methods[name]["bias_correction"] = args.bias_correction
    methods["z-score z > 1.5"] = {"baseline": "zscore", "z": 1.5}
    rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for corruption in corruptions:
        pairs = corrupted_cases(cases, corruption, args.out / "inputs" / corruption, args.seed)
        for name, options in methods.items():
            tag = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
            scores = []
            for case, (image, label) in zip(cases, pairs):
                folder = args.out / "masks" / corruption / tag / case.name
                (mask,) = segment_files([image], folder, progress=False, warn=lambda t: None,
                                        **options)  # fmt: skip
                scores.append(score(mask, label, case.name))
            rows[(name, corruption)] = scores
            print(
                f"{name:24s} {corruption:12s} "
                + " ".join(f"{d:.3f} ({h:.1f} mm)" for d, h in scores),
                flush=True,
            )
    lines = [
        "| method | corruption | " + " | ".join(c.name for c in cases)
        + " | mean Dice | mean HD95 (mm) | Dice lost |",
        "|---|---|" + "---:|" * (len(cases) + 3),
    ]  # fmt: skip
    for (name, corruption), scores in rows.items():
        dice = [d for d, _ in scores]
        base = np.mean([d for d, _ in rows[(name, "none")]])
        lines.append(
            f"| {name} | {corruption} | " + " | ".join(f"{d:.3f}" for d in dice)
            + f" | {np.mean(dice):.3f} | {np.mean([h for _, h in scores]):.1f} "
            f"| {base - np.mean(dice):+.3f} |"
        )  # fmt: skip
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()

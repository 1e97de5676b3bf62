"""Zero-shot whole-tumour scores on the brats_dev cases: a model and the threshold baselines.

The manual labels are used only here, to score masks that were made without them; the
model's checkpoint, its mask threshold (0.5) and the baselines' z values are fixed in
advance. Each case's FLAIR (240×240×155, 1 mm) is segmented in its own grid and scored
with ``medssl.evaluation`` (Dice, HD95 in mm) against ``label > 0``.

Usage::

    python scripts/eval_zero_shot_brats.py --model src/medssl/weights/ld_brain_flair.pt \\
        [--model "another name=runs/x/model.pt" ...] [--no-baselines] [--tta] \\
        [--data ../shared/data/brats_dev] [--out runs/zero_shot_brats] [--markdown FILE]

``--model`` may be repeated; ``NAME=PATH`` names a model's row (default: "layer
decomposition", then the file's parent folder).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def score(pred_dir: Path, cases: list[Path]) -> list[tuple[str, float, float]]:
    from medssl.evaluation import parse_labels
    from medssl.evaluation.metric import evaluate_labelmaps
    from medssl.io import check_same_grid, read_label

    groups = parse_labels("wt=1+2+3+4")
    rows = []
    for case in cases:
        pred = read_label(pred_dir / case.name / "flair.nii.gz")
        gt = read_label(case / "label.nii.gz")
        check_same_grid(pred.geometry, gt.geometry, what="prediction vs label")
        results, _ = evaluate_labelmaps(
            pred.array, gt.array, spacing=gt.geometry.spacing, labels=groups, case=case.name
        )
        rows.append((case.name, results[0].dice, results[0].hd95))
    return rows


def main() -> None:
    from medssl.zeroshot.segment import segment_files

    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="weights (NAME=PATH); repeatable")
    parser.add_argument("--no-baselines", action="store_true", help="models only")
    parser.add_argument(
        "--tta", action="store_true", help="also each model with test-time mirroring"
    )
    parser.add_argument("--data", type=Path, default=repo.parent / "shared/data/brats_dev")
    parser.add_argument("--out", type=Path, default=repo / "runs/zero_shot_brats")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    cases = sorted(p for p in args.data.iterdir() if (p / "flair.nii.gz").is_file())
    methods: dict[str, dict] = {}
    for k, spec in enumerate(args.model or ["ld_brain_flair"]):
        name, sep, path = spec.rpartition("=")
        if not sep:
            name, path = ("layer decomposition" if k == 0 else Path(spec).parent.name), spec
        methods[name] = {"model": path}
        if args.tta:
            methods[name + " + TTA (mirroring)"] = {"model": path, "mirror": True}
    if not args.no_baselines:
        methods["z-score threshold z > 1.5"] = {"baseline": "zscore", "z": 1.5}
        methods["z-score threshold z > 2.0"] = {"baseline": "zscore", "z": 2.0}
    table = {}
    for name, options in methods.items():
        start = time.perf_counter()
        folder = args.out / "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        for case in cases:  # one output folder per case: every input is named flair.nii.gz
            segment_files([case / "flair.nii.gz"], folder / case.name, progress=False, **options)
        seconds = (time.perf_counter() - start) / len(cases)
        table[name] = (score(folder, cases), seconds)
    lines = [
        "| method | " + " | ".join(c.name for c in cases) + " | mean Dice | mean HD95 (mm) "
        "| s / case |",
        "|---|" + "---:|" * (len(cases) + 3),
    ]
    for name, (rows, seconds) in table.items():
        dice = [r[1] for r in rows]
        hd = [r[2] for r in rows]
        cells = " | ".join(f"{d:.3f}" for d in dice)
        lines.append(
            f"| {name} | {cells} | {np.mean(dice):.3f} ± {np.std(dice):.3f} "
            f"| {np.mean(hd):.1f} | {seconds:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()

"""Score zero-shot liver-tumour masks on 3D-IRCADb-01 patient 1, from the command line.

Every mask is made by ``medssl segment`` on the DICOM series, inside the liver:

- ``given``: the manual liver of ``MASKS_DICOM.zip`` (``--roi``);
- ``transfer``: the liver found by one-shot k-NN label transfer from a labelled support
  scan (``--roi-from-transfer``; by default the TotalSegmentator CT and its liver,
  value 5), so that no manual label of this patient is used at all.

Each ``--model`` is scored, and the CT z-score baseline at its fixed default k. The
seven tumour masks (``livertumor01``..``07``; the cyst is not a tumour) are read only
here, to score:

- per-tumour detection: the Dice between a tumour and the predicted components that
  overlap it; a hit when it is above 0.1;
- voxel Dice of all tumours together, and the predicted volume outside every tumour.

The control segments the tumour-free TotalSegmentator CT inside its own liver (label 5)
and reports the predicted volume: all of it is false positive.

Nothing of ircadb_p1 is written outside ``--out``. Usage::

    python scripts/eval_liver_ircadb.py --model runs/ld_liver_ct_noircadb/ld_liver_ct.pt \\
        --name "trained without ircadb_p1" --out runs/eval_liver
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from medssl.evaluation.overlap import confusion_counts, dice_from_counts

SHARED = Path(
    os.environ.get("MEDSSL_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
TUMOURS = [f"livertumor{i:02d}" for i in range(1, 8)]
HIT_DICE = 0.1


def run_segment(args: list[str]) -> None:
    from medssl.cli.main import main

    try:
        main(["segment", *args])
    except SystemExit as done:
        if done.code not in (0, None):
            raise RuntimeError(f"medssl segment {' '.join(args)} exited {done.code}") from None


def per_tumour(pred: np.ndarray, tumours: np.ndarray) -> list[float]:
    """Dice of each tumour against the predicted components that touch it."""
    components, _ = ndimage.label(pred)
    out = []
    for value in range(1, len(TUMOURS) + 1):
        truth = tumours == value
        touching = np.unique(components[truth & (components > 0)])
        found = np.isin(components, touching) if touching.size else np.zeros_like(pred)
        out.append(dice_from_counts(confusion_counts(found, truth)))
    return out


def score(mask_path: Path, tumours: np.ndarray, voxel_ml: float) -> dict[str, object]:
    from medssl.io import read_image

    pred = read_image(mask_path, dtype=None).array > 0
    truth = tumours > 0
    dices = per_tumour(pred, tumours)
    return {
        "per_tumour": dices,
        "hits": sum(d > HIT_DICE for d in dices),
        "dice": dice_from_counts(confusion_counts(pred, truth)),
        "outside_ml": float((pred & ~truth).sum() * voxel_ml),
        "volume_ml": float(pred.sum() * voxel_ml),
    }


def main() -> None:
    from medssl.io import read_image, read_label

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--name", action="append", default=[], help="one per --model")
    parser.add_argument("--case", type=Path, default=SHARED / "body" / "ircadb_p1")
    parser.add_argument("--support", type=Path, nargs=2, default=[
        SHARED / "body" / "totalseg_ct" / "ct.nii.gz",
        SHARED / "body" / "totalseg_ct" / "seg_predicted.nii.gz"])  # fmt: skip
    parser.add_argument("--control", type=Path, nargs=2, default=[
        SHARED / "body" / "totalseg_ct" / "ct.nii.gz",
        SHARED / "body" / "totalseg_ct" / "seg_predicted.nii.gz"])  # fmt: skip
    parser.add_argument("--rois", nargs="+", default=["given", "transfer"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    names = args.name or [p.stem for p in args.model]
    if len(names) != len(args.model):
        parser.error("give one --name per --model")

    image = args.case / "PATIENT_DICOM"
    masks = args.case / "MASKS_DICOM.zip"
    spec = f"{masks}::" + ",".join(f"{t}={i}" for i, t in enumerate(TUMOURS, 1))
    tumours = read_label(spec, reference=image).array
    voxel_ml = float(np.prod(read_image(image).geometry.spacing)) / 1000.0
    roi_args = {
        "given": ["--roi", f"{masks}::liver=1"],
        "transfer": ["--roi-from-transfer", str(args.support[0]), str(args.support[1])],
    }
    methods = [(n, ["--model", str(m)]) for n, m in zip(names, args.model)]
    methods.append(("z-score baseline (k 1.5)", ["--baseline", "zscore", "--modality", "CT"]))

    rows, control = [], []
    for index, (name, method_args) in enumerate(methods):
        for roi in args.rois:
            out = args.out / f"m{index}_{roi}"
            start = time.perf_counter()
            run_segment([str(image), "--out", str(out), *method_args, *roi_args[roi]])
            seconds = time.perf_counter() - start
            rows.append(
                (name, roi, score(out / "PATIENT_DICOM.nii.gz", tumours, voxel_ml), seconds)
            )
        out = args.out / f"m{index}_control"
        run_segment([str(args.control[0]), "--out", str(out), *method_args,
                     "--roi", str(args.control[1]), "--roi-labels", "5"])  # fmt: skip
        mask = read_image(next(out.glob("*.nii.gz")), dtype=None)
        control.append(
            (name, float((mask.array > 0).sum() * np.prod(mask.geometry.spacing) / 1000))
        )

    truth_ml = [float((tumours == v).sum() * voxel_ml) for v in range(1, 8)]
    lines = [
        "| method | liver | "
        + " | ".join(f"T{i} ({v:.1f} cm³)" for i, v in enumerate(truth_ml, 1))
        + " | detected | voxel Dice | predicted (cm³) | outside tumours (cm³) | s |",
        "|---|---|" + "---:|" * 12,
    ]
    for name, roi, s, seconds in rows:
        lines.append(
            f"| {name} | {roi} | "
            + " | ".join(f"{d:.2f}" for d in s["per_tumour"])
            + f" | {s['hits']}/7 | {s['dice']:.3f} | {s['volume_ml']:.1f} | {s['outside_ml']:.1f} | {seconds:.0f} |"
        )
    lines += [
        "",
        "| method | control: predicted volume in the tumour-free totalseg liver (cm³) |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {ml:.1f} |" for name, ml in control]
    report = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()

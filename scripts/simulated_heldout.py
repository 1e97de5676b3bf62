"""Score a brain LD model on simulated lesions in held-out pool scans, label-free.

The held-out scans of a training config (``method_options.val_data``, e.g. the MS
patients p04 and p20 of ``configs/ld_brain.yaml``) are never trained on. Into each,
in its own native grid and units, the training synthesis pastes ``--samples`` sets of
lesions (1-3 each, the config's volume range), with the scan mirrored left-right as
the texture donor. Each sample is written as a NIfTI (raw units: the in-brain
median/IQR of the scan are put back), with its mask, and a copy corrupted by each
``--corruption`` (:mod:`medssl.zeroshot.corrupt`, seed = sample index). Every variant
named by ``--variant NAME=OPTIONS`` segments them all with ``medssl segment``'s
library call; the simulated masks score them (pooled Dice over all samples of a
corruption, and the mean per-sample Dice). No manual label is read anywhere.

Usage::

    python scripts/simulated_heldout.py --config configs/ld_brain.yaml \\
        --model ld_brain_flair --variant plain= --variant "n4={bias_correction: n4}" \\
        [--samples 6] [--corruption none --corruption bias] [--out runs/simulated_heldout]

OPTIONS is a YAML mapping of keyword arguments of
:func:`medssl.zeroshot.segment.segment_files` (``model`` overrides ``--model``, so that
two models can be compared on the same samples) (a ``bias_correct`` step config may be
given as ``{bias_correction: {name: bias_correct, iterations: [50]}}``), or empty.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def make_samples(config: Path, out: Path, samples: int, corruptions: list[str]) -> list[dict]:
    """Write the simulated samples (once; reused when present); return their records."""
    import yaml

    from medssl.data import load_records
    from medssl.io import read_image, read_label, write_image
    from medssl.preprocess.robust_norm import RobustScale
    from medssl.preprocess.step import State
    from medssl.synthesis import preset as synthesis_preset
    from medssl.synthesis.compose import synthesize
    from medssl.zeroshot.corrupt import corrupt

    options = yaml.safe_load(config.read_text())["method_options"]
    val_data = options.get("val_data")
    if not val_data:
        raise SystemExit(f"{config} names no held-out scans (method_options.val_data)")
    synthesis = synthesis_preset("brain", **dict(options.get("synthesis") or {}))
    rows = []
    for record in load_records(val_data):
        image = read_image(record.image)
        brain = read_label(record.roi).array > 0
        raw = image.array.astype(np.float32)
        state, stats = RobustScale(mask="roi", erode=1).apply(
            State(image=raw, affine=image.geometry.affine, roi=brain.astype(np.uint8))
        )
        z = state.image
        spacing = tuple(float(v) for v in image.geometry.spacing)
        for k in range(samples):
            folder = out / "samples" / f"{record.id}_{k}"
            made = {c: folder / c / "flair.nii.gz" for c in corruptions}
            rows += [{"scan": record.id, "index": k, "corruption": c, "image": made[c],
                      "mask": folder / c / "mask.nii.gz"} for c in corruptions]  # fmt: skip
            if all(p.is_file() for p in made.values()):
                continue
            rng = np.random.default_rng([k, sum(map(ord, record.id))])
            t = synthesize(
                z, z[::-1].copy(), brain, params_or_rng=rng, spacing=spacing,
                config=synthesis, other_roi=brain[::-1].copy(),
            )  # fmt: skip
            sim = np.where(brain, t.image * stats["iqr"] + stats["median"], raw)
            sim = np.maximum(sim, 0).astype(np.float32)
            mask = (t.mask > 0.5).astype(np.uint8)
            for c in corruptions:
                array, lab, affine = corrupt(c, sim, mask, image.geometry.affine, seed=k)
                geometry = type(image.geometry)(array.shape, affine, None)
                made[c].parent.mkdir(parents=True, exist_ok=True)
                write_image(array.astype(np.float32), geometry, made[c])
                write_image(lab.astype(np.uint8), geometry, folder / c / "mask.nii.gz")
    return rows


def parse_variant(spec: str) -> tuple[str, dict]:
    """``NAME=OPTIONS``: OPTIONS a YAML mapping of ``segment_files`` keywords, or empty."""
    import yaml

    name, sep, text = spec.partition("=")
    options = yaml.safe_load(text) if text.strip() else {}
    if not sep or not name or not isinstance(options, dict):
        raise SystemExit(f"--variant must be NAME=OPTIONS (a YAML mapping); got {spec!r}")
    return name, options


def main() -> None:
    from medssl.io import read_label
    from medssl.zeroshot.segment import segment_files

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/ld_brain.yaml"))
    parser.add_argument("--model", default="ld_brain_flair")
    parser.add_argument("--variant", action="append", default=[], help="NAME=OPTIONS")
    parser.add_argument("--samples", type=int, default=6, help="per held-out scan")
    parser.add_argument("--corruption", action="append", help="default: none, bias")
    parser.add_argument("--out", type=Path, default=Path("runs/simulated_heldout"))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    corruptions = args.corruption or ["none", "bias"]
    rows = make_samples(args.config, args.out, args.samples, corruptions)
    variants = dict(parse_variant(v) for v in args.variant or ["plain="])
    lines = ["| variant | corruption | pooled Dice | mean Dice | predicted (cm³) | simulated (cm³) |",
             "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, options in variants.items():
        for c in corruptions:
            inter = pred_sum = true_sum = 0.0
            dices, vols = [], []
            for row in (r for r in rows if r["corruption"] == c):
                folder = args.out / "pred" / name / c / f"{row['scan']}_{row['index']}"
                target = folder / "flair.nii.gz"
                if not target.is_file():
                    kwargs = {"model": args.model, "progress": False, **options}
                    segment_files([row["image"]], folder, **kwargs)
                p = read_label(target)
                t = read_label(row["mask"]).array > 0
                q = p.array > 0
                voxel = float(abs(np.linalg.det(p.geometry.affine[:3, :3]))) / 1000.0
                i = float(np.count_nonzero(q & t))
                inter, pred_sum, true_sum = inter + i, pred_sum + q.sum(), true_sum + t.sum()
                dices.append(2 * i / max(float(q.sum() + t.sum()), 1.0))
                vols.append((q.sum() * voxel, t.sum() * voxel))
            pooled = 2 * inter / max(pred_sum + true_sum, 1.0)
            pv, tv = np.mean(vols, axis=0)
            lines.append(
                f"| {name} | {c} | {pooled:.3f} | {np.mean(dices):.3f} | {pv:.1f} | {tv:.1f} |"
            )
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()

"""Choose a brain LD model's mask rule (threshold, hysteresis grow threshold), label-free.

The network runs once per scan; each candidate ``THRESHOLD[:GROW]`` then turns the
same probability map into a mask, as ``medssl segment`` would (inside the brain,
hysteresis when GROW is given, components under 50 mm³ dropped). Scans:

- the simulated held-out samples written by ``scripts/simulated_heldout.py``
  (``--samples DIR``: lesions pasted into held-out pool scans, each clean and
  corrupted); a candidate's score is the mean over corruptions of the pooled Dice
  against the simulated masks, with the mean per-sample HD95 beside it;
- the real held-out scans of ``--config`` (``method_options.val_data``): the predicted
  volume per scan, false positive beyond their few cm³ of MS lesions.

The best score whose held-out volumes all stay under ``--max-fp-ml`` is printed last.
No manual label is read.

Component filters can be scored too: every candidate is tried with each smallest
component kept (``--min-volume``, mm³; default the shipped 50) and each share of the
largest component under which a component is dropped (``--min-share``; default 0).
``--empty-hd95 MM`` counts an empty mask as that HD95 instead of leaving it out.

Usage::

    python scripts/select_mask_rule.py --samples runs/simulated_heldout/samples \\
        --candidate 0.3 --candidate 0.5:0.1 [--model ld_brain_flair] [--markdown FILE] \\
        [--min-volume 50 --min-volume 250] [--min-share 0 --min-share 0.1] [--empty-hd95 100]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def probabilities(model: str, paths: list[Path]) -> list[tuple[np.ndarray, float, tuple]]:
    """(probability in the scan's grid, voxel mm³, spacing) per scan, one network pass."""
    from medssl.inference.ld import LDPredictor
    from medssl.inference.ld_model import load_ld_model
    from medssl.inference.predictor import predict_image
    from medssl.io import read_image
    from medssl.preprocess.foreground import foreground

    class Keep(LDPredictor):
        def finish(self, image, maps, out):  # type: ignore[no-untyped-def]
            prediction = super().finish(image, maps, out)
            brain = foreground(image.array)
            prediction.maps["probability"] = np.where(brain, maps["probability"], 0)
            return prediction

    predictor = Keep(load_ld_model(model))
    out = []
    for k, path in enumerate(paths):
        image = read_image(path)
        spacing = tuple(float(s) for s in image.geometry.spacing)
        probability = predict_image(predictor, image).maps["probability"]
        out.append((probability.astype(np.float32), float(np.prod(spacing)), spacing))
        print(f"  {k + 1}/{len(paths)} {path}", flush=True)
    return out


def mask_of(probability: np.ndarray, voxel_mm3: float, candidate: tuple) -> np.ndarray:
    """The mask of ``candidate`` = (threshold, grow or None, smallest mm³, least share)."""
    from medssl.inference.ld import drop_small, hysteresis

    high, low, min_mm3, share = candidate
    hard = hysteresis(probability, high, high if low is None else low).astype(np.uint8)
    return drop_small(hard, voxel_mm3, min_mm3, share) > 0


def parse_candidate(text: str) -> tuple[float, float | None]:
    high, _, low = text.partition(":")
    return float(high), (float(low) if low else None)


def main() -> None:
    import yaml

    from medssl.data import load_records
    from medssl.evaluation import hd95
    from medssl.io import read_label

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=Path("configs/ld_brain.yaml"))
    parser.add_argument("--model", default="ld_brain_flair")
    parser.add_argument("--candidate", action="append", required=True, help="T or T:GROW")
    parser.add_argument("--min-volume", type=float, action="append", help="mm³ (default 50)")
    parser.add_argument("--min-share", type=float, action="append", help="of the largest")
    parser.add_argument("--empty-hd95", type=float, help="HD95 of an empty mask (mm)")
    parser.add_argument("--max-fp-ml", type=float, default=10.0)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    from medssl.inference.ld import MIN_VOLUME_MM3

    candidates = [
        (*parse_candidate(c), a, r)
        for c in args.candidate
        for a in args.min_volume or [MIN_VOLUME_MM3]
        for r in args.min_share or [0.0]
    ]
    images = sorted(args.samples.glob("*/*/flair.nii.gz"))
    if not images:
        raise SystemExit(f"no simulated samples (*/*/flair.nii.gz) under {args.samples}")
    corruptions = sorted({p.parent.name for p in images})
    val = yaml.safe_load(args.config.read_text())["method_options"]["val_data"]
    held = [Path(r.image) for r in load_records(val)]
    print(f"{len(images)} simulated samples ({', '.join(corruptions)}), {len(held)} held-out scans")
    sims = probabilities(args.model, images)
    truths = [read_label(p.parent / "mask.nii.gz").array > 0 for p in images]
    real = probabilities(args.model, held)
    head = " | ".join(f"{c} Dice / HD95" for c in corruptions)
    lines = [f"| threshold | grow | min mm³ | min share | {head} | score | held-out (cm³) |",
             "|---:|---:|---:|---:|" + "---:|" * len(corruptions) + "---:|---|"]  # fmt: skip
    best = None
    for cand in candidates:
        cells, pooled = [], []
        for c in corruptions:
            inter = total = 0.0
            dists = []
            for path, (p, vox, spacing), t in zip(images, sims, truths):
                if path.parent.name != c:
                    continue
                q = mask_of(p, vox, cand)
                inter, total = inter + np.count_nonzero(q & t), total + q.sum() + t.sum()
                if q.any() and t.any():
                    dists.append(hd95(q, t, spacing=spacing))
                elif t.any() and args.empty_hd95 is not None:
                    dists.append(args.empty_hd95)
            pooled.append(2 * inter / max(total, 1.0))
            cells.append(f"{pooled[-1]:.3f} / {np.mean(dists):.1f}")
        ml = [mask_of(p, vox, cand).sum() * vox / 1000 for p, vox, _ in real]
        score = float(np.mean(pooled))
        grow = "-" if cand[1] is None else f"{cand[1]:.2f}"
        lines.append(f"| {cand[0]:.2f} | {grow} | {cand[2]:g} | {cand[3]:g} | " + " | ".join(cells)
                     + f" | {score:.3f} | " + ", ".join(f"{v:.1f}" for v in ml) + " |")  # fmt: skip
        print(lines[-1], flush=True)
        if max(ml) < args.max_fp_ml and (best is None or score > best[1]):
            best = (cand, score)
    text = "\n".join(lines) + "\n"
    print(text)
    if best:
        (high, low, min_mm3, share), score = best
        print(f"chosen: threshold {high:.2f}, grow {low}, min {min_mm3:g} mm³, min share {share:g}"
              f" (score {score:.3f})")  # fmt: skip
    else:
        print("no candidate meets --max-fp-ml")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()

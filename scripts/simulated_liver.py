"""Score liver CT LD models on tumours simulated into a liver they never trained on, label-free.

Into a CT's liver (``--image``, ``--liver``: a mask on its grid, e.g. the MSD spleen CT
and ``runs/data/spleen8_liver.nii.gz`` from ``scripts/spleen8_liver_mask.py``), in the
scan's own native grid and Hounsfield units, the training synthesis of ``--config``
(``method_options.synthesis`` over :func:`medssl.synthesis.config.liver`) pastes
``--samples`` sets of tumours, each drawn with seed ``k``; the texture comes from the
scan's spleen (``--donor-roi``, as the training's texture donor). ``--soft-tissue-shift
-60`` first moves the scan's soft tissue (-50..400 HU) down 60 HU: the same scan at a
lower contrast level. Each sample is written
once as NIfTI with its simulated mask, then segmented by every ``--model NAME=WEIGHTS``
with ``medssl segment``'s library call and ``--roi`` the liver. Prints the pooled Dice
over the samples (and the mean per sample), the volume marked outside the simulated
tumours, the share of tumour voxels marked and the tumours more than 10 % marked.
``--generator held-out`` draws the lesions with :func:`held_out_lesions`, a generator no
model trains on, in place of the training synthesis. No manual tumour label is read anywhere.

Usage::

    python scripts/simulated_liver.py --config configs/ld_liver_ct_noircadb.yaml \\
        --model shipped=ld_liver_ct --model other=runs/x.pt [--samples 12] \\
        [--image ../shared/data/body/spleen_8/image.nii.gz] \\
        [--liver runs/data/spleen8_liver.nii.gz] \\
        [--donor-roi ../shared/data/body/spleen_8/label.nii.gz] [--out runs/simulated_liver]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: Voxels moved by ``--soft-tissue-shift`` (HU): enhanced soft tissue, not fat, air or bone.
SOFT_TISSUE_HU = (-50.0, 400.0)


def held_out_lesions(
    hu: np.ndarray, liver: np.ndarray, spacing: tuple[float, ...], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Hypo-attenuating lesions from a generator no model trains on (``--generator held-out``).

    1-5 ellipsoids, radius 5-30 mm log-uniform, semi-axes x U(0.7, 1), each with >= 90 %
    inside the liver; the tissue itself is darkened (the scan's noise and texture stay):
    U(15, 60) HU, plus smooth heterogeneity (sigma 2 mm, SD U(3, 12) HU) and, with p 0.3,
    a core (the inner half) U(10, 30) HU darker; logistic edge of width U(0.05, 0.15)
    radii. The mask is opacity > 0.5 inside the liver.
    """
    from scipy import ndimage

    out, mask, step = hu.copy(), np.zeros(hu.shape, bool), np.asarray(spacing, float)
    where = np.argwhere(liver)
    soft = lambda x, w: 1.0 / (1.0 + np.exp(-x / w))
    for _ in range(int(rng.integers(1, 6))):
        for _ in range(30):
            semi = float(np.exp(rng.uniform(np.log(5.0), np.log(30.0)))) * rng.uniform(0.7, 1, 3)
            centre = where[rng.integers(len(where))]
            half = np.ceil(1.3 * semi / step).astype(int) + 1
            lo, hi = np.maximum(centre - half, 0), np.minimum(centre + half + 1, hu.shape)
            box = tuple(slice(a, b) for a, b in zip(lo, hi))
            axes = [(np.arange(a, b) - c) * s for a, b, c, s in zip(lo, hi, centre, step)]
            d = np.sqrt(sum((g / h) ** 2 for g, h in zip(np.meshgrid(*axes, indexing="ij"), semi)))
            if liver[box][d < 1].mean() < 0.9:
                continue
            width = rng.uniform(0.05, 0.15)
            noise = ndimage.gaussian_filter(rng.normal(size=d.shape), 2.0 / step)
            noise *= rng.uniform(3.0, 12.0) / max(float(noise.std()), 1e-6)
            core = rng.uniform(10.0, 30.0) * soft(0.5 - d, width) if rng.random() < 0.3 else 0.0
            dark = soft(1.0 - d, width) * (rng.uniform(15.0, 60.0) + core + noise)
            out[box] = np.where(liver[box], out[box] - dark, out[box])
            mask[box] |= (soft(1.0 - d, width) > 0.5) & liver[box]
            break
    return out.astype(np.float32), mask


def check_recipe(args: argparse.Namespace) -> None:
    """Record how ``--out``'s samples are made; refuse to reuse them for another recipe."""
    import json

    recipe = {
        "config": str(args.config.resolve()), "image": str(args.image.resolve()),
        "liver": str(args.liver.resolve()),
        "generator": args.generator, "soft_tissue_shift": float(args.soft_tissue_shift),
    }  # fmt: skip
    path = args.out / "samples" / "recipe.json"
    if path.is_file() and json.loads(path.read_text()) != recipe:
        raise SystemExit(f"{path}: its samples were made with another recipe; use another --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recipe, indent=1))


def make_samples(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """Write the simulated samples (once; reused when present); return (image, mask) paths."""
    import yaml

    from medssl.io import read_image, read_label, write_image
    from medssl.synthesis.compose import synthesize
    from medssl.synthesis.config import preset as synthesis_preset

    options = yaml.safe_load(args.config.read_text())["method_options"]
    config = synthesis_preset("liver", **dict(options.get("synthesis") or {}))
    image = read_image(args.image)
    liver = read_label(args.liver)
    donor = read_label(args.donor_roi)
    for other in (liver, donor):
        if other.array.shape != image.array.shape:
            raise SystemExit(f"{args.image} and its masks must share one grid")
    hu = image.array.astype(np.float32)
    if args.soft_tissue_shift:  # another contrast level: soft tissue moved, air/fat/bone kept
        soft = (hu >= SOFT_TISSUE_HU[0]) & (hu <= SOFT_TISSUE_HU[1])
        hu = np.where(soft, hu + np.float32(args.soft_tissue_shift), hu)
    spacing = tuple(float(v) for v in image.geometry.spacing)
    check_recipe(args)
    rows = []
    for k in range(args.samples):
        folder = args.out / "samples" / f"sample_{k:02d}"
        paths = (folder / "ct.nii.gz", folder / "mask.nii.gz")
        rows.append(paths)
        if all(p.is_file() for p in paths):
            continue
        rng = np.random.default_rng(k)
        if args.generator == "held-out":
            lesioned, lesions = held_out_lesions(hu, liver.array > 0, spacing, rng)
        else:
            t = synthesize(
                hu, hu, liver.array > 0, params_or_rng=rng, spacing=spacing, config=config,
                other_roi=donor.array > 0,
            )  # fmt: skip
            lesioned, lesions = t.image, t.mask > 0.5
        folder.mkdir(parents=True, exist_ok=True)
        write_image(
            np.where(liver.array > 0, lesioned, hu).astype(np.float32), image.geometry, paths[0]
        )
        write_image(lesions.astype(np.uint8), image.geometry, paths[1])
    return rows


def main() -> None:
    from scipy import ndimage

    from medssl.io import read_label
    from medssl.zeroshot.segment import segment_files

    repo = Path(__file__).resolve().parents[1]
    body = repo.parent / "shared/data/body"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=repo / "configs/ld_liver_ct_noircadb.yaml")
    parser.add_argument("--model", action="append", required=True,
                        help="NAME=WEIGHTS (WEIGHTS 'zscore': the z-score baseline)")  # fmt: skip
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--image", type=Path, default=body / "spleen_8/image.nii.gz")
    parser.add_argument("--liver", type=Path, default=repo / "runs/data/spleen8_liver.nii.gz")
    parser.add_argument("--donor-roi", type=Path, default=body / "spleen_8/label.nii.gz")
    parser.add_argument("--out", type=Path, default=repo / "runs/simulated_liver")
    parser.add_argument("--generator", choices=("synthesis", "held-out"), default="synthesis",
                        help="the lesions: the training synthesis of --config, or a generator "
                        "no model trains on (held_out_lesions)")  # fmt: skip
    parser.add_argument("--soft-tissue-shift", type=float, default=0.0,
                        help="add this many HU to the scan's -50..400 HU voxels first "
                        "(another contrast level; the liver median moves with it)")  # fmt: skip
    args = parser.parse_args()
    rows = make_samples(args)
    print(
        "| model | pooled Dice | mean Dice | marked outside the tumours (cm³ per sample) "
        "| tumour voxels marked | tumours > 10 % marked |"
    )
    print("|---|---:|---:|---:|---:|---:|")  # fmt: skip
    for spec in args.model:
        name, _, weights = spec.partition("=")
        inter = total = outside = truth = 0.0
        dices, found, count = [], 0, 0
        for image, mask in rows:
            folder = args.out / "pred" / name / image.parent.name
            target = folder / "ct.nii.gz"
            if not target.is_file():
                method = {"baseline": "zscore", "modality": "CT"} if weights == "zscore" else {
                    "model": weights}  # fmt: skip
                segment_files([image], folder, roi=args.liver, progress=False,
                              warn=lambda text: None, **method)  # fmt: skip
            p = read_label(target)
            q, t = p.array > 0, read_label(mask).array > 0
            voxel_ml = float(abs(np.linalg.det(p.geometry.affine[:3, :3]))) / 1000.0
            i = float(np.count_nonzero(q & t))
            inter, total = inter + i, total + float(q.sum() + t.sum())
            outside += float(np.count_nonzero(q & ~t)) * voxel_ml
            dices.append(2 * i / max(float(q.sum() + t.sum()), 1.0))
            truth += float(t.sum())
            pieces, n = ndimage.label(t)
            marked = ndimage.mean(q, pieces, index=np.arange(1, n + 1)) if n else []
            found, count = found + int(np.sum(np.asarray(marked) > 0.1)), count + n
        pooled = 2 * inter / max(total, 1.0)
        print(f"| {name} | {pooled:.3f} | {np.mean(dices):.3f} | {outside / len(rows):.1f} "
              f"| {inter / max(truth, 1.0):.3f} | {found}/{count} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

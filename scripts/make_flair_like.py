"""A lesion-free, thin-slice FLAIR-like brain from a skull-stripped T1 (Colin27 by default).

The project's only thin-slice FLAIR is the niivue demo; every pool scan has 3-4 mm slices.
Colin27 is a single subject's 1 mm T1 with real anatomy (cerebellar folia, temporal lobes),
but T1 contrast: white matter brighter than grey matter, CSF dark. FLAIR orders the same
tissues grey matter > white matter >> CSF (suppressed). This script keeps the anatomy and
changes the contrast, from intensities alone:

1. three classes of in-brain intensity by 1D k-means (CSF < GM < WM);
2. a piecewise-linear map through the class means to FLAIR levels
   (CSF 0.25, GM 1.12, WM 1.0: the grey matter about 10 % above the white), times ``--scale``
   (raw-unit-like values; the brain pipeline normalises them in-brain anyway);
   partial-volume voxels between two classes land between their levels.

It writes the image and its brain mask (the T1's non-zero voxels, holes filled) in the
T1's own grid, ready for a data CSV of the brain layer-decomposition pool
(``configs/data/brain_flair_colin.csv``).

Usage::

    python scripts/make_flair_like.py [--t1 ../shared/data/normal_brain/colin27_t1_brain.nii.gz]
        [--out runs/templates/colin27_flair_like.nii.gz]
        [--mask-out runs/templates/colin27_brainmask.nii.gz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

LEVELS = (0.25, 1.12, 1.0)  # CSF, GM, WM in FLAIR-like units


def kmeans_1d(values: np.ndarray, k: int = 3, iterations: int = 50) -> np.ndarray:
    """Sorted class means of 1D ``values`` by Lloyd's algorithm from evenly spaced quantiles."""
    centres = np.quantile(values, (np.arange(k) + 0.5) / k)
    for _ in range(iterations):
        edges = (centres[1:] + centres[:-1]) / 2
        labels = np.searchsorted(edges, values)
        new = np.array([values[labels == j].mean() for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    return np.sort(centres)


def flair_like(t1: np.ndarray, brain: np.ndarray, scale: float = 500.0) -> np.ndarray:
    """FLAIR-like intensities from a skull-stripped T1 (see module); 0 outside ``brain``."""
    inside = t1[brain].astype(np.float64)
    csf, gm, wm = kmeans_1d(inside)
    if not csf < gm < wm:
        raise SystemExit(f"T1 classes are not ordered CSF < GM < WM: {csf}, {gm}, {wm}")
    top = float(inside.max())
    xp = [0.0, csf, gm, wm, max(top, wm + 1.0)]
    fp = [0.0, LEVELS[0], LEVELS[1], LEVELS[2], LEVELS[2]]
    image = np.interp(t1.astype(np.float64), xp, fp) * scale
    return np.where(brain, image, 0.0).astype(np.float32)


def main() -> None:
    from scipy import ndimage

    from medssl.io import read_image, write_image

    repo = Path(__file__).resolve().parents[1]
    templates = repo.parent / "shared/data/normal_brain"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--t1", type=Path, default=templates / "colin27_t1_brain.nii.gz")
    parser.add_argument(
        "--out", type=Path, default=repo / "runs/templates/colin27_flair_like.nii.gz"
    )
    parser.add_argument(
        "--mask-out", type=Path, default=repo / "runs/templates/colin27_brainmask.nii.gz"
    )
    parser.add_argument("--scale", type=float, default=500.0)
    args = parser.parse_args()
    t1 = read_image(args.t1)
    brain = ndimage.binary_fill_holes(t1.array > 0)
    image = flair_like(t1.array, brain, scale=args.scale)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(write_image(image, t1.geometry, args.out))
    print(write_image(brain.astype(np.uint8), t1.geometry, args.mask_out))


if __name__ == "__main__":
    main()

"""A lesion-free FLAIR-like brain from the MNI152 grey- and white-matter maps.

No healthy FLAIR exists in the project's data; the normal templates are T1 (white
matter brighter than grey matter), which is not FLAIR contrast. FLAIR's normal
appearance is simple, though: grey matter a little brighter than white matter, CSF
suppressed (dark). This script draws that from the ICBM152 2009a tissue
probability maps:

    FLAIR ≈ 1.2·GM + 1.0·WM + 0.25·CSF   inside the brain, 0 outside,

where the brain is ``GM + WM > 0.5`` with its holes (the ventricles) filled and CSF
is the rest of the brain's probability (``1 − GM − WM``), plus mild smoothed noise
(seed 0). The result is a skull-stripped, lesion-free, left-right symmetric
'normal' FLAIR for the layer-decomposition normal pool, in the maps' own grid.

Usage::

    python scripts/make_pseudo_flair.py [--gm ../shared/data/normal_brain/mni152_gm.nii.gz]
        [--wm ../shared/data/normal_brain/mni152_wm.nii.gz]
        [--out runs/templates/mni152_pseudo_flair.nii.gz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

GM_LEVEL, WM_LEVEL, CSF_LEVEL, NOISE = 1.2, 1.0, 0.25, 0.03


def pseudo_flair(gm: np.ndarray, wm: np.ndarray, seed: int = 0) -> np.ndarray:
    """FLAIR-like intensities from tissue probabilities in [0, 1] (see module)."""
    from scipy import ndimage

    gm, wm = np.clip(gm, 0, 1), np.clip(wm, 0, 1)
    brain = ndimage.binary_fill_holes(gm + wm > 0.5)
    csf = np.clip(1.0 - gm - wm, 0, 1)
    image = GM_LEVEL * gm + WM_LEVEL * wm + CSF_LEVEL * csf
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(gm.shape), 1.0)
    image = image + NOISE * noise / max(float(noise.std()), 1e-8)
    return np.where(brain, image, 0.0).astype(np.float32)


def main() -> None:
    from medssl.io import read_image, write_image

    repo = Path(__file__).resolve().parents[1]
    templates = repo.parent / "shared/data/normal_brain"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gm", type=Path, default=templates / "mni152_gm.nii.gz")
    parser.add_argument("--wm", type=Path, default=templates / "mni152_wm.nii.gz")
    parser.add_argument(
        "--out", type=Path, default=repo / "runs/templates/mni152_pseudo_flair.nii.gz"
    )
    args = parser.parse_args()
    gm, wm = read_image(args.gm), read_image(args.wm)
    scale = 255.0 if gm.array.max() > 1.5 else 1.0  # the shipped maps are uint8 0..255
    image = pseudo_flair(gm.array / scale, wm.array / scale)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(write_image(image, gm.geometry, args.out))


if __name__ == "__main__":
    main()

"""A liver mask for the MSD spleen CT ``spleen_8``, made without any liver label of it.

``spleen_8`` labels only its spleen. Its liver is found by atlas registration
(``medssl transfer --model register``, itk-elastix affine + B-spline) from the
TotalSegmentator CT and its liver (value 5, a model's label), then cleaned from
intensities alone: voxels within 3 robust SDs of the registered region's median
(3×3 in-plane median filter), a 5×5 in-plane opening, the largest component, holes
filled. Its header is mirrored left-right against its anatomy, so the registration
reads it with the world x axis negated; the mask is written on the original file's
grid and header, with the TotalSegmentator liver value 5. It is a second normal liver for ``configs/ld_liver_ct_2livers.yaml``.

    python scripts/spleen8_liver_mask.py [--out runs/data/spleen8_liver.nii.gz]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

SHARED = Path(
    os.environ.get("MEDSSL_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def clean(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The liver-like voxels of a registered region (intensities only)."""
    smooth = ndimage.median_filter(image, size=(3, 3, 1))
    values = smooth[region]
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    keep = region & (np.abs(smooth - median) < 3 * (q3 - q1) / 1.349)
    keep = ndimage.binary_opening(keep, structure=np.ones((5, 5, 1)))
    parts, n = ndimage.label(keep)
    if n == 0:
        raise SystemExit("spleen8_liver_mask: no liver-like voxel left after cleaning")
    sizes = np.bincount(parts.ravel())
    sizes[0] = 0
    return ndimage.binary_fill_holes(parts == sizes.argmax())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/data/spleen8_liver.nii.gz"))
    args = parser.parse_args()
    source = nib.load(SHARED / "body" / "spleen_8" / "image.nii.gz")
    image = np.asanyarray(source.dataobj).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        mirrored = Path(tmp) / "spleen_8_mirrored_lr.nii.gz"
        flip = np.diag([-1.0, 1.0, 1.0, 1.0])
        nib.save(nib.Nifti1Image(image, flip @ source.affine, source.header), mirrored)
        support = SHARED / "body" / "totalseg_ct"
        subprocess.run(
            [sys.executable, "-m", "medssl.cli.main", "transfer", str(mirrored),
             "--support", str(support / "ct.nii.gz"), str(support / "seg_predicted.nii.gz"),
             "--model", "register", "--labels", "5", "--out", str(Path(tmp) / "reg")],
            check=True,
        )  # fmt: skip
        region = np.asanyarray(nib.load(Path(tmp) / "reg" / mirrored.name).dataobj) == 5
    liver = clean(image, region)
    spacing = np.prod(source.header.get_zooms()[:3]) / 1000
    print(f"registered {region.sum() * spacing:.0f} cm³, kept {liver.sum() * spacing:.0f} cm³")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = nib.Nifti1Image(liver.astype(np.uint8) * 5, source.affine, source.header)
    out.set_data_dtype(np.uint8)
    partial = args.out.with_name(args.out.name + ".partial.nii.gz")
    nib.save(out, partial)
    os.replace(partial, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Regenerate the sample scans shipped in ``src/medssl/samples/`` from the real data.

Usage::

    python scripts/make_samples.py [--data ../shared/data] [--out src/medssl/samples]

Brain (BraTS 2013 pat0006, from ``brats_dev``): FLAIR, tumour label and brain mask,
cropped to the brain's bounding box (rounded up to even sizes) and reduced from 1 mm to
2 mm by 2×2×2 blocks: mean for the FLAIR, majority vote for the label and the mask
(ties go to the lower value). Outside the 2 mm brain mask the FLAIR is set to the
source's constant background value (the z-score of 0; -3.80 for this case). The affine is updated so every voxel keeps its world position.

CT (``body/totalseg_ct``): the CT and its TotalSegmentator label map, unchanged
(122×101×30 at 3 mm).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from medssl.io import Geometry, read_image, read_label, write_image

ROOT = Path(__file__).resolve().parents[1]
BRATS_CASE = "brats_2013_pat0006_1"
FACTOR = 2


def _blocks(array: np.ndarray) -> np.ndarray:
    """(X, Y, Z) with even sizes → (X/2, Y/2, Z/2, 8) blocks."""
    x, y, z = (s // FACTOR for s in array.shape)
    b = array.reshape(x, FACTOR, y, FACTOR, z, FACTOR).transpose(0, 2, 4, 1, 3, 5)
    return b.reshape(x, y, z, FACTOR**3)


def _majority(labels: np.ndarray) -> np.ndarray:
    blocks = _blocks(labels)
    values = np.unique(labels)
    counts = np.stack([(blocks == v).sum(-1) for v in values], axis=-1)
    return values[counts.argmax(-1)].astype(labels.dtype)


def _crop_box(mask: np.ndarray) -> tuple[slice, ...]:
    box = []
    for axis, hit in enumerate(np.nonzero(mask)):
        lo, hi = int(hit.min()), int(hit.max()) + 1
        if (hi - lo) % FACTOR:  # grow by one voxel to an even size
            if hi < mask.shape[axis]:
                hi += 1
            else:
                lo -= 1
        box.append(slice(lo, hi))
    return tuple(box)


def _reduced_geometry(
    geometry: Geometry, box: tuple[slice, ...], shape: tuple[int, ...]
) -> Geometry:
    # New voxel n covers old voxels start + 2n and start + 2n + 1: centre start + 2n + 0.5.
    scale = np.eye(4)
    for axis, s in enumerate(box):
        scale[axis, axis] = FACTOR
        scale[axis, 3] = s.start + (FACTOR - 1) / 2
    return Geometry(shape, geometry.affine @ scale)


def make_brain(data: Path, out: Path) -> None:
    case = data / "brats_dev" / BRATS_CASE
    flair = read_image(case / "flair.nii.gz")
    label = read_label(case / "label.nii.gz")
    brain = read_label(case / "brainmask.nii.gz")
    box = _crop_box(brain.array > 0)
    mask2 = _majority((brain.array[box] > 0).astype(np.uint8))
    label2 = _majority(label.array[box])
    flair2 = _blocks(flair.array[box]).mean(-1).astype(np.float32)
    outside = flair.array[brain.array == 0]
    background = float(np.median(outside)) if outside.size else 0.0
    flair2[mask2 == 0] = background
    label2[mask2 == 0] = 0
    geometry = _reduced_geometry(flair.geometry, box, flair2.shape)
    write_image(flair2, geometry, out / "brats_pat0006_flair.nii.gz")
    write_image(label2, geometry, out / "brats_pat0006_label.nii.gz")
    write_image(mask2, geometry, out / "brats_pat0006_brainmask.nii.gz")
    shutil.copyfile(data / "brats_dev" / "LICENSE.txt", out / "LICENSE_BraTS.txt")
    print(f"brain: {flair.array.shape} at 1 mm -> {flair2.shape} at 2 mm")


def make_ct(data: Path, out: Path) -> None:
    folder = data / "body" / "totalseg_ct"
    ct = read_image(folder / "ct.nii.gz", dtype=None)
    seg = read_label(folder / "seg_predicted.nii.gz")
    write_image(ct.array.astype(np.int16), ct.geometry, out / "totalseg_ct.nii.gz")
    write_image(seg.array, seg.geometry, out / "totalseg_ct_label.nii.gz")
    print(f"ct: {ct.array.shape}, labels {np.unique(seg.array).size - 1}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "medssl" / "samples")
    args = parser.parse_args()
    make_brain(args.data, args.out)
    make_ct(args.data, args.out)


if __name__ == "__main__":
    main()

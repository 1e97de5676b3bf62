"""Tiny labelled NIfTI cases and the options of a tiny experiment grid."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

SHAPE = (24, 24, 24)
RADII = {"c0": 5, "c1": 6, "c2": 5, "c3": 4, "c4": 6, "c5": 8}


def write_case(folder: Path, name: str, radius: float, seed: int) -> tuple[Path, Path]:
    """A noisy volume with a bright ball labelled 1 (one half) and 2 (the other)."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij")).astype(float)
    centre = np.array(SHAPE)[:, None, None, None] / 2 + rng.uniform(-2, 2, (3, 1, 1, 1))
    ball = (((grid - centre) / radius) ** 2).sum(0) < 1
    image = (100 + 60 * ball + rng.normal(0, 5, SHAPE)).astype(np.float32)
    label = (ball * 2).astype(np.uint8)
    label[ball & (grid[0] > centre[0, 0])] = 1
    affine = np.diag([1.5, 1.5, 2.0, 1.0])
    img, lab = folder / f"{name}_img.nii.gz", folder / f"{name}_lab.nii.gz"
    nib.save(nib.Nifti1Image(image, affine), str(img))
    nib.save(nib.Nifti1Image(label, affine), str(lab))
    return img, lab


def write_csv(path: Path, names: list[str]) -> Path:
    rows = ["id,image,label"] + [f"{n},{n}_img.nii.gz,{n}_lab.nii.gz" for n in names]
    path.write_text("\n".join(rows) + "\n")
    return path


def experiment_options(cases: Path, out: Path, **changes) -> dict:
    """A 2 methods × 2 fractions × 1 seed grid on the tiny cases, 2 training steps."""
    options = {
        "out": str(out),
        "methods": {"random": None, "pre": str(cases / "encoder.pt")},
        "fractions": [0.5, 1.0],
        "seeds": [0],
        "train": str(cases / "train.csv"),
        "val_ids": ["c2"],
        "test": str(cases / "test.csv"),
        "labels": "fg=1+2",
        "finetune": {
            "model": "unet3d_tiny",
            "steps": 2,
            "batch_size": 1,
            "patch": [16, 16, 16],
            "num_workers": 0,
            "precision": "fp32",
            "val_every": 2,
            "augment": False,
            "preprocess": {"preset": "mri", "target_spacing": 3.0, "grid": 16},
            "cache": str(out.parent / "cache"),
        },
    }
    options.update(changes)
    return options

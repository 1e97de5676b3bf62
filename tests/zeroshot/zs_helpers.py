"""Helpers of the zero-shot and ld tests: tiny brain-like scans, DICOM and weights writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def brain_like(shape=(28, 24, 20), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A skull-stripped-looking image: an ellipsoid 'brain' on a zero background, a bright blob."""
    r = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    brain = ((grid / 0.9) ** 2).sum(0) < 1
    blob = (((grid - np.array([0.25, 0.1, 0.0])[:, None, None, None]) / 0.3) ** 2).sum(0) < 1
    image = np.where(brain, 100.0 + r.normal(0, 5, size=shape), 0.0)
    image = np.where(blob & brain, 220.0 + r.normal(0, 5, size=shape), image)
    return image.astype(np.float32), (blob & brain).astype(np.uint8)


def oblique_affine(spacing=(1.2, 1.0, 1.5)) -> np.ndarray:
    """An LPS-like grid rotated 20° about one axis and 10° about another."""
    a, b = np.deg2rad(20), np.deg2rad(10)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    affine = np.eye(4)
    affine[:3, :3] = np.diag([-1, -1, 1]) @ rz @ rx @ np.diag(spacing)
    affine[:3, 3] = [12.0, -7.0, 30.0]
    return affine


def write_nifti(path: Path, array: np.ndarray, affine: np.ndarray) -> Path:
    import nibabel as nib

    nib.save(nib.Nifti1Image(array, affine), str(path))
    return path


def write_dicom_series(folder: Path, array: np.ndarray, spacing=(1.5, 1.5, 2.0)) -> Path:
    """Write (X, Y, Z) int16 voxels as one DICOM series, one file per slice."""
    import SimpleITK as sitk

    folder.mkdir(parents=True, exist_ok=True)
    volume = sitk.GetImageFromArray(np.ascontiguousarray(array.transpose(2, 1, 0)).astype(np.int16))
    volume.SetSpacing(spacing)
    volume.SetOrigin((-20.0, 15.0, 5.0))
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    uid = "1.2.826.0.1.3680043.2.1125.1.4242"
    for k in range(volume.GetDepth()):
        piece = volume[:, :, k]
        tags = {
            "0008|0060": "MR", "0020|000d": uid + ".1", "0020|000e": uid + ".2",
            "0008|0018": f"{uid}.3.{k}", "0020|0013": str(k + 1),
            "0020|0032": "\\".join(str(v) for v in volume.TransformIndexToPhysicalPoint((0, 0, k))),
            "0020|0037": "1\\0\\0\\0\\1\\0", "0018|0050": str(spacing[2]),
        }  # fmt: skip
        for key, value in tags.items():
            piece.SetMetaData(key, value)
        writer.SetFileName(str(folder / f"slice{k:03d}.dcm"))
        writer.Execute(piece)
    return folder


def save_ld_model(
    path: Path,
    *,
    method: str = "ld",
    preset: str = "brain_flair",
    window: int = 16,
    normalisation: str | None = None,
) -> Path:
    """A randomly initialised tiny ld network in medssl's weights format."""
    import torch

    from medssl.methods.ld.presets import ld_preset
    from medssl.models import create_model, save_weights

    torch.manual_seed(0)
    config = {"in_channels": 1, "out_channels": 3, "base_width": 2, "num_levels": 2}
    model = create_model("unet3d_tiny", **config)
    ld = ld_preset(preset, patch_size=16, window=window, normalisation=normalisation)
    extra = {"method": method, "ld": ld.to_dict()}
    return save_weights(path, model, arch="unet3d_tiny", config=config, extra=extra)


def save_seg_model(path: Path, *, channel: int | None = None, labels: str = "1") -> Path:
    """A randomly initialised tiny fine-tuned segmentation network, as 'medssl finetune' writes."""
    import torch

    from medssl.models import create_model, save_weights

    torch.manual_seed(0)
    config = {"in_channels": 1, "out_channels": 2, "base_width": 2, "num_levels": 2}
    model = create_model("unet3d_tiny", **config)
    extra = {
        "task": "segmentation",
        "method": "finetune",
        "labels": labels,
        "preprocess": {
            "steps": [
                {"name": "reorient"},
                {"name": "resample", "spacing": [2.0, 2.0, 2.0]},
                {"name": "zscore", "mask": "nonzero"},
            ]
        },
        "patch": [16, 16, 16],
        "channel": channel,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_weights(path, model, arch="unet3d_tiny", config=config, extra=extra)

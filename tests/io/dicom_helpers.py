"""Tiny synthetic DICOM series written with pydicom, one file per slice."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def write_slice(
    path: Path,
    pixels: np.ndarray,
    *,
    position: Sequence[float],
    orientation: Sequence[float] = AXIAL,
    pixel_spacing: Sequence[float] = (0.8, 0.7),
    series_uid: str = "1.2.826.0.1.3680043.8.498.1",
    description: str = "synthetic",
    instance: int = 1,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
) -> Path:
    """Write one CT slice; ``pixels`` is (Rows, Columns) int16 or uint8."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.0"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesDescription = description
    ds.InstanceNumber = instance
    ds.ImageType = list(image_type)
    ds.ImagePositionPatient = [float(v) for v in position]
    ds.ImageOrientationPatient = [float(v) for v in orientation]
    ds.PixelSpacing = [float(v) for v in pixel_spacing]
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    unsigned = pixels.dtype == np.uint8
    ds.BitsAllocated = ds.BitsStored = 8 if unsigned else 16
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0 if unsigned else 1
    if not unsigned:
        ds.RescaleIntercept, ds.RescaleSlope = 0, 1
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def write_series(
    folder: Path,
    volume: np.ndarray,
    *,
    positions: Sequence[Sequence[float]] | None = None,
    step: float = 2.0,
    origin: Sequence[float] = (-10.0, 20.0, 5.0),
    names: Sequence[str] | None = None,
    **kwargs,
) -> Path:
    """Write ``volume`` (Rows, Columns, slices) as an axial series, slice k at ``positions[k]``."""
    folder.mkdir(parents=True, exist_ok=True)
    n = volume.shape[2]
    if positions is None:
        positions = [(origin[0], origin[1], origin[2] + step * k) for k in range(n)]
    for k in range(n):
        name = names[k] if names is not None else f"slice{k:03d}.dcm"
        write_slice(folder / name, volume[:, :, k], position=positions[k], instance=k + 1, **kwargs)
    return folder


def ramp_volume(rows: int = 6, cols: int = 5, n: int = 4) -> np.ndarray:
    """Distinct int16 values: slice k holds 100 * k + row * cols + col."""
    base = np.arange(rows * cols, dtype=np.int16).reshape(rows, cols)
    return np.stack([base + 100 * k for k in range(n)], axis=2).astype(np.int16)

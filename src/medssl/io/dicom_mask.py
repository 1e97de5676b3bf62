"""Binary DICOM mask series, and label maps built from one mask series per structure.

Some datasets (3D-IRCADb, for one) ship each manual structure as its own DICOM series:
one folder of mask slices per structure, on the CT's slices, often inside a zip.
:func:`read_label` (and so every command that takes a label or ROI) accepts:

- ``FOLDER``: a folder of binary DICOM mask slices, read as a binary label (> 0 → 1);
- ``PATH::liver=1,spleen=2,rightkidney=3``: a label map built from the structures
  named, where ``PATH`` is a zip holding one folder of slices per structure (read in
  memory, never extracted) or a folder holding one subfolder per structure.
  Structures listed later win where two overlap; ``PATH::liver`` means ``liver=1``.

Every mask series must itself form a regular grid (:mod:`medssl.io.dicom`). Given a
``reference`` DICOM series (the CT), :func:`check_slices_match` compares the masks
with it slice by slice: same number of slices, and for each slice the same position,
orientation, rows, columns and pixel spacing; an error names both files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from medssl.errors import MedsslError
from medssl.io.dicom import (
    DicomSlice,
    dicom_files,
    scan_folder,
    select_series,
    series_grid,
    slice_from_dataset,
)

SPEC_SEPARATOR = "::"


@dataclass(frozen=True)
class _Member:
    """One slice file of a structure: on disk, or a member of a zip."""

    name: str
    path: Path
    member: str | None = None

    def dataset(self, zf: zipfile.ZipFile | None):
        import pydicom

        try:
            if self.member is None:
                return pydicom.dcmread(self.path)
            return pydicom.dcmread(io.BytesIO(zf.read(self.member)))
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types for bad files
            raise MedsslError(f"cannot read DICOM mask slice {self.name}: {exc}") from None


def parse_label_spec(text: str) -> tuple[Path, list[tuple[str, int]]] | None:
    """Split ``PATH::name=value,...`` into the path and (name, value) pairs.

    Returns:
        ``None`` when ``text`` has no ``::``.

    Raises:
        MedsslError: An empty mapping, a value that is not an integer 1..65535, or a
            structure named twice.
    """
    if SPEC_SEPARATOR not in text:
        return None
    path, _, mapping = text.rpartition(SPEC_SEPARATOR)
    pairs: list[tuple[str, int]] = []
    for item in (part.strip() for part in mapping.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            number = int(value) if sep else 1
        except ValueError:
            number = -1
        if not name or not 1 <= number <= 65535:
            raise MedsslError(
                f"{text}: label mapping items must be NAME=VALUE with VALUE an integer "
                f"1..65535 (e.g. {path}::liver=1,spleen=2); got '{item}'"
            )
        if name in {n for n, _ in pairs}:
            raise MedsslError(f"{text}: structure '{name}' is named twice in the label mapping")
        pairs.append((name, number))
    if not pairs:
        raise MedsslError(
            f"{text}: no structure after '{SPEC_SEPARATOR}'; write e.g. {path}::liver=1,spleen=2"
        )
    return Path(path), pairs


def is_mask_source(path: str | Path) -> bool:
    """True for a label spec with ``::``, a zip, or a folder of structure folders."""
    text = str(path)
    if SPEC_SEPARATOR in text:
        return True
    p = Path(text)
    if p.suffix.lower() == ".zip":
        return True
    return p.is_dir() and not dicom_files(p) and bool(_folder_structures(p))


def _folder_structures(folder: Path) -> dict[str, list[_Member]]:
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = dicom_files(sub)
        if files:
            out[sub.name] = [_Member(str(f), f) for f in files]
    return out


def _zip_structures(path: Path, zf: zipfile.ZipFile) -> dict[str, list[_Member]]:
    out: dict[str, list[_Member]] = {}
    for member in zf.namelist():
        pure = PurePosixPath(member)
        if member.endswith("/") or "__MACOSX" in pure.parts or pure.name.startswith("."):
            continue
        if pure.parent.name:
            out.setdefault(pure.parent.name, []).append(
                _Member(f"{path}{SPEC_SEPARATOR}{member}", path, member)
            )
    return out


def _read_structure(
    members: Sequence[_Member], zf: zipfile.ZipFile | None, where: str
) -> tuple[np.ndarray, np.ndarray, list[DicomSlice]]:
    """Binary voxels (X, Y, Z), RAS+ affine and ordered slices of one mask series."""
    slices, pixels = [], {}
    for member in members:
        ds = member.dataset(zf)
        item = slice_from_dataset(ds, member.name)
        if item is None:
            continue
        try:
            pixels[member.name] = np.asarray(ds.pixel_array)
        except Exception as exc:  # noqa: BLE001 - decoder errors vary
            raise MedsslError(
                f"cannot decode pixels of DICOM mask slice {member.name}: {exc}"
            ) from None
        slices.append(item)
    chosen = select_series(slices, where)
    ordered, shape, affine = series_grid(chosen, where)
    array = np.zeros(shape, dtype=bool)
    for k, item in enumerate(ordered):
        array[:, :, k] = pixels[item.name].T > 0
    return array, affine, ordered


def check_slices_match(
    mask: Sequence[DicomSlice], reference: Sequence[DicomSlice], where: str, ref_where: str
) -> None:
    """Compare two sorted series slice by slice (position, orientation, size, spacing).

    Raises:
        MedsslError: One line naming both slices (or both folders) and what differs.
    """
    if len(mask) != len(reference):
        raise MedsslError(
            f"{where} has {len(mask)} slices but the image {ref_where} has {len(reference)}; "
            "a mask must have one slice per image slice"
        )
    for m, r in zip(mask, reference, strict=True):
        for what, a, b, tol in (
            ("position", m.position, r.position, 1e-3),
            ("orientation", m.orientation, r.orientation, 1e-4),
            ("rows x columns", m.size, r.size, 0),
            ("pixel spacing", m.pixel_spacing, r.pixel_spacing, 1e-4),
        ):
            if not np.allclose(a, b, atol=tol, rtol=0):
                raise MedsslError(
                    f"mask slice {m.name} does not match image slice {r.name}: {what} "
                    f"{tuple(a)} vs {tuple(b)}; a mask must lie on the image's grid"
                )


def _reference_slices(reference: Path | None, series: str | None = None) -> list[DicomSlice] | None:
    if reference is None or not Path(reference).is_dir() or not dicom_files(Path(reference)):
        return None
    chosen = select_series(scan_folder(Path(reference)), str(reference), series)
    return series_grid(chosen, str(reference))[0]


def read_mask_label(
    source: str | Path,
    *,
    reference: str | Path | None = None,
    reference_series: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read a mask folder or a structure spec as a label map.

    Args:
        source: ``FOLDER``, ``PATH::name=value,...`` (see the module docstring).
        reference: The image's DICOM folder; when given, every structure is checked
            against it slice by slice.
        reference_series: The series of ``reference`` when it holds several.

    Returns:
        The label voxels (X, Y, Z; uint8, or int32 for values over 255) and the
        RAS+ affine.

    Raises:
        MedsslError: A missing path, no or unknown structures (listing the valid
            ones), a mask series that is not a regular grid, structures on different
            grids, or a slice that does not match the reference.
    """
    text = str(source)
    parsed = parse_label_spec(text)
    path, pairs = (Path(text), None) if parsed is None else parsed
    if not path.exists():
        raise MedsslError(f"file not found: {path}")
    ref = Path(reference) if reference is not None else None
    ref_slices = _reference_slices(ref, reference_series)
    if path.is_file() and not zipfile.is_zipfile(path):
        raise MedsslError(
            f"{path}: a structure label spec needs a zip or a folder of DICOM mask series "
            f"before '{SPEC_SEPARATOR}'"
        )
    zf = zipfile.ZipFile(path) if path.is_file() else None
    try:
        if path.is_dir() and dicom_files(path):
            structures = {path.name: [_Member(str(f), f) for f in dicom_files(path)]}
            pairs = pairs or [(path.name, 1)]
        elif zf is not None:
            structures = _zip_structures(path, zf)
        else:
            structures = _folder_structures(path)
        if not structures:
            raise MedsslError(f"{path}: holds no folder of DICOM mask slices")
        names = ", ".join(sorted(structures))
        if pairs is None:
            raise MedsslError(
                f"{path}: holds one mask series per structure ({names}); choose them with "
                f"{path}{SPEC_SEPARATOR}NAME=VALUE,... (e.g. {path}{SPEC_SEPARATOR}"
                f"{min(structures)}=1)"
            )
        unknown = [name for name, _ in pairs if name not in structures]
        if unknown:
            raise MedsslError(
                f"{path}: no structure named {', '.join(unknown)}; valid structures: {names}"
            )
        label, affine, first = None, None, ""
        for name, value in pairs:
            where = f"{path}{SPEC_SEPARATOR}{name}" if zf is not None or parsed else str(path)
            mask, mask_affine, ordered = _read_structure(structures[name], zf, where)
            if ref_slices is not None:
                check_slices_match(ordered, ref_slices, where, str(reference))
            if label is None:
                dtype = np.uint8 if max(v for _, v in pairs) < 256 else np.int32
                label, affine, first = np.zeros(mask.shape, dtype), mask_affine, where
            elif mask.shape != label.shape or not np.allclose(mask_affine, affine, atol=1e-4):
                raise MedsslError(
                    f"structure {where} lies on another grid than {first}; all structures of "
                    "a label map must share one grid"
                )
            label[mask] = value
    finally:
        if zf is not None:
            zf.close()
    return label, affine

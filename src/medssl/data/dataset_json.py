"""Dataset from a Medical Segmentation Decathlon or nnU-Net ``dataset.json``.

Three layouts are understood, all with paths relative to the JSON's folder:

- **MSD / nnU-Net v1**: a ``training`` list of ``{"image": ..., "label": ...}``.
  Multi-modal images are 4D files; ``modality`` (``{"0": "FLAIR", ...}``) names
  the channels, and ``channel`` picks the record's modality.
- **nnU-Net v2**: no list, but ``file_ending`` (e.g. ``.nii.gz``) and
  ``channel_names``; images are ``imagesTr/CASE_XXXX{file_ending}`` (one file per
  channel, XXXX the channel index) and labels ``labelsTr/CASE{file_ending}``.
- **nnU-Net v2 with a ``dataset`` mapping**: ``{"CASE": {"images": [...], "label": ...}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medssl.data.record import Record, case_id, check_unique_ids
from medssl.errors import MedsslError


def _channel_names(meta: dict[str, Any]) -> dict[int, str]:
    names = meta.get("channel_names") or meta.get("modality") or {}
    try:
        return {int(k): str(v) for k, v in names.items()}
    except (AttributeError, ValueError):
        return {}


def _modality(names: dict[int, str], channel: int | None) -> str | None:
    if channel is not None:
        return names.get(channel)
    return names.get(0) if len(names) == 1 else None


def read_dataset_json(path: str | Path) -> dict[str, Any]:
    """Parse the file; raise a one-line error for missing files and bad JSON."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MedsslError(f"dataset.json not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise MedsslError(
            f"dataset.json must be valid JSON; {exc.msg} at line {exc.lineno} column "
            f"{exc.colno} of {path}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MedsslError(f"cannot read {path}: {exc}") from None
    if not isinstance(meta, dict):
        raise MedsslError(
            f"dataset.json must hold a JSON object; got {type(meta).__name__} in {path}"
        )
    return meta


def records_from_dataset_json(path: str | Path, *, channel: int | None = None) -> list[Record]:
    """Records of the training cases of an MSD or nnU-Net dataset.

    Args:
        path: The ``dataset.json`` file (or the folder holding it).
        channel: For multi-channel data, the channel whose file (nnU-Net v2) or
            modality name (4D MSD) the records use; default 0 for v2.

    Raises:
        MedsslError: Bad JSON, no recognised layout, bad entries, or no cases.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "dataset.json"
    meta = read_dataset_json(path)
    base = path.parent
    names = _channel_names(meta)
    modality = _modality(names, channel)
    if isinstance(meta.get("training"), list):
        records = _msd(meta["training"], base, modality, path)
    elif isinstance(meta.get("dataset"), dict):
        records = _v2_mapping(meta["dataset"], base, channel or 0, modality, path)
    elif "file_ending" in meta:
        records = _v2_folders(meta, base, channel or 0, modality, path)
    else:
        raise MedsslError(
            f"dataset.json must have a 'training' list (MSD) or 'file_ending' (nnU-Net v2); "
            f"found keys {sorted(meta)} in {path}"
        )
    if not records:
        raise MedsslError(f"dataset.json must list at least one training case; none in {path}")
    return check_unique_ids(records, source=str(path))


def _msd(entries: list, base: Path, modality: str | None, path: Path) -> list[Record]:
    records = []
    for number, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"image": entry}
        if not isinstance(entry, dict) or not entry.get("image"):
            raise MedsslError(
                f"dataset.json 'training' entries need an 'image'; entry {number} is {entry!r} in {path}"
            )
        image = base / entry["image"]
        label = base / entry["label"] if entry.get("label") else None
        records.append(Record(case_id(image), image, label, None, modality))
    return records


def _v2_mapping(dataset: dict, base: Path, channel: int, modality, path: Path) -> list[Record]:
    records = []
    for case, entry in sorted(dataset.items()):
        images = entry.get("images") if isinstance(entry, dict) else None
        if not isinstance(images, list) or not images:
            raise MedsslError(f"dataset.json case '{case}' needs an 'images' list in {path}")
        if not 0 <= channel < len(images):
            raise MedsslError(
                f"channel must be in 0..{len(images) - 1}; got {channel} for case '{case}' in {path}"
            )
        label = entry.get("label")
        records.append(
            Record(
                str(case), base / images[channel], base / label if label else None, None, modality
            )
        )
    return records


def _v2_folders(meta: dict, base: Path, channel: int, modality, path: Path) -> list[Record]:
    ending = str(meta["file_ending"])
    folder = base / "imagesTr"
    if not folder.is_dir():
        raise MedsslError(f"nnU-Net v2 dataset must have an imagesTr folder beside {path}")
    suffix = f"_{channel:04d}{ending}"
    images = sorted(p for p in folder.iterdir() if p.name.endswith(suffix))
    if not images:
        raise MedsslError(f"no image named CASE{suffix} in {folder} (channel {channel})")
    labels = base / "labelsTr"
    records = []
    for image in images:
        case = image.name[: -len(suffix)]
        label = labels / f"{case}{ending}"
        records.append(Record(case, image, label if labels.is_dir() else None, None, modality))
    return records

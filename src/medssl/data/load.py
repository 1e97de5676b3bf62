"""One entry point for every dataset specification: folder/glob, CSV, dataset.json."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from medssl.data.csv_spec import records_from_csv
from medssl.data.dataset_json import records_from_dataset_json
from medssl.data.folder import records_from_glob
from medssl.data.record import Record
from medssl.errors import MedsslError


def load_records(
    spec: str | Path | Sequence[Record],
    *,
    labels: str | Path | None = None,
    rois: str | Path | None = None,
    modality: str | None = None,
    channel: int | None = None,
) -> list[Record]:
    """Turn a dataset specification into a list of :class:`Record`.

    Which reader is used:

    - a ``.csv`` file → :func:`~medssl.data.csv_spec.records_from_csv`;
    - a ``.json`` file, or a folder holding ``dataset.json`` (and no ``labels``
      given) → :func:`~medssl.data.dataset_json.records_from_dataset_json`;
    - anything else, a folder or glob pattern of images →
      :func:`~medssl.data.folder.records_from_glob`, pairing ``labels`` and ``rois``;
    - a list of records is returned as a list, unchanged.

    Args:
        spec: The specification.
        labels: Label pairing rule (folder/glob specs only).
        rois: ROI pairing rule (folder/glob specs only).
        modality: Modality for records that do not name one.
        channel: Channel of multi-channel data (dataset.json only; the images
            themselves are checked by :func:`validate_records`).

    Raises:
        MedsslError: Errors of the reader, or ``labels``/``rois`` given with a CSV or
            dataset.json (which name their own labels).
    """
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        records = list(spec)
        bad = [r for r in records if not isinstance(r, Record)]
        if bad:
            raise MedsslError(f"dataset records must be Record objects; got {bad[0]!r}")
        return records
    path = Path(spec)
    suffix = path.suffix.lower()
    is_dataset_json = suffix == ".json" or (
        path.is_dir() and (path / "dataset.json").is_file() and labels is None
    )
    if suffix == ".csv" or is_dataset_json:
        if labels is not None or rois is not None:
            raise MedsslError(
                f"labels/rois pairing applies to a folder or glob of images only; "
                f"{path} lists its own labels"
            )
        if suffix == ".csv":
            return records_from_csv(path, modality=modality)
        records = records_from_dataset_json(path, channel=channel)
        if modality is not None:
            records = [r if r.modality else _with_modality(r, modality) for r in records]
        return records
    return records_from_glob(spec, labels=labels, rois=rois, modality=modality)


def _with_modality(record: Record, modality: str) -> Record:
    return dataclasses.replace(record, modality=modality)

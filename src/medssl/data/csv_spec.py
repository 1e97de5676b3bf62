"""Dataset from a CSV file: one case per row, paths relative to the CSV.

Columns: ``image`` (required); ``label``, ``roi``, ``modality`` and ``id``
(optional). An empty cell means "none". Without an ``id`` column the case id is the
image's stem (without an nnU-Net ``_0000`` suffix), or its folder's name when all
images share one file name. Absolute paths are kept as they are.
"""

from __future__ import annotations

import csv
from pathlib import Path

from medssl.data.record import Record, case_ids, check_unique_ids
from medssl.errors import MedsslError

REQUIRED = ("image",)
OPTIONAL = ("label", "roi", "modality", "id")


def records_from_csv(path: str | Path, *, modality: str | None = None) -> list[Record]:
    """Read the records listed in a CSV file.

    Args:
        path: The CSV file.
        modality: Default modality for rows whose ``modality`` cell is empty.

    Raises:
        MedsslError: Missing or unreadable file, a missing ``image`` column, an empty
            ``image`` cell, no rows, or duplicated ids.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            rows = [
                {(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader
            ]
    except FileNotFoundError:
        raise MedsslError(f"CSV file not found: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MedsslError(f"cannot read CSV {path}: {exc}") from None
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise MedsslError(
            f"CSV must have column(s) {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); "
            f"missing {', '.join(missing)} in {path} (columns: {', '.join(columns) or 'none'})"
        )
    if not rows:
        raise MedsslError(f"CSV must list at least one case; {path} has no rows")
    base = path.parent

    def resolve(cell: str | None) -> Path | None:
        if not cell:
            return None
        p = Path(cell).expanduser()
        return p if p.is_absolute() else base / p

    images = []
    for number, row in enumerate(rows, start=2):
        image = resolve(row.get("image"))
        if image is None:
            raise MedsslError(f"CSV cell 'image' must not be empty; row {number} of {path}")
        images.append(image)
    records = [
        Record(
            id=row.get("id") or default_id,
            image=image,
            label=resolve(row.get("label")),
            roi=resolve(row.get("roi")),
            modality=row.get("modality") or modality,
        )
        for row, image, default_id in zip(rows, images, case_ids(images), strict=True)
    ]
    return check_unique_ids(records, source=str(path))

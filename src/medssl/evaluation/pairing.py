"""Pair prediction and reference files: two files, or two folders matched by file name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medssl.errors import MedsslError
from medssl.io import image_stem
from medssl.io.atomic import full_suffix
from medssl.io.image import IMAGE_SUFFIXES

_MAX_LISTED = 10


@dataclass(frozen=True)
class CasePair:
    """One case: its name, prediction file and reference file."""

    case: str
    pred: Path
    gt: Path


def _image_files(folder: Path) -> dict[str, Path]:
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".") and full_suffix(p) in IMAGE_SUFFIXES
    }


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def pair_paths(pred: str | Path, gt: str | Path) -> list[CasePair]:
    """Pair a prediction with its reference.

    Args:
        pred: A label file, or a folder of label files.
        gt: The reference file, or a folder whose files have the same names as those in
            ``pred`` (NIfTI, NRRD, MHA/MHD; hidden files and other extensions ignored).

    Returns:
        The pairs, sorted by file name; the case name is the file name without its
        image extension (for two single files: that of ``gt``).

    Raises:
        MedsslError: A path is missing; one is a file and the other a folder; a folder
            holds no image file; or some names have no partner (all are listed).
    """
    pred, gt = Path(pred), Path(gt)
    for role, path in (("prediction", pred), ("reference", gt)):
        if not path.exists():
            raise MedsslError(f"{role} path not found: {path}")
    if pred.is_file() and gt.is_file():
        return [CasePair(image_stem(gt), pred, gt)]
    if pred.is_dir() != gt.is_dir():
        raise MedsslError(
            "PRED and GT must both be files or both be folders; got "
            f"{'folder' if pred.is_dir() else 'file'} {pred} and "
            f"{'folder' if gt.is_dir() else 'file'} {gt}"
        )
    pred_files, gt_files = _image_files(pred), _image_files(gt)
    for role, folder, files in (("prediction", pred, pred_files), ("reference", gt, gt_files)):
        if not files:
            raise MedsslError(
                f"{role} folder {folder} holds no image file ({', '.join(IMAGE_SUFFIXES)})"
            )
    only_pred = sorted(set(pred_files) - set(gt_files))
    only_gt = sorted(set(gt_files) - set(pred_files))
    if only_pred or only_gt:
        parts = []
        if only_pred:
            parts.append(f"{len(only_pred)} only in {pred}: {_listing(only_pred)}")
        if only_gt:
            parts.append(f"{len(only_gt)} only in {gt}: {_listing(only_gt)}")
        raise MedsslError(
            "prediction and reference files must pair by identical name; unmatched: "
            + "; ".join(parts)
        )
    return [CasePair(image_stem(name), pred_files[name], gt_files[name]) for name in pred_files]

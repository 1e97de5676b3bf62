"""Dataset from a folder or glob pattern, with labels paired by name.

How images and labels are paired (``labels=`` and ``rois=`` follow the same rules):

- **Sibling file name** (no ``/``, no ``{``), e.g. ``--images 'data/*/flair.nii.gz'
  --labels label.nii.gz``: the label is the file of that name in each image's folder.
- **Folder**, e.g. ``--images imagesTr --labels labelsTr``: the label has the image's
  file name in that folder; failing that, the name without an nnU-Net channel
  suffix (``case_0000.nii.gz`` → ``case.nii.gz``).
- **Template** with ``{id}``, ``{stem}`` or ``{parent}``, e.g.
  ``--labels 'masks/{stem}_seg.nii.gz'``: ``stem`` is the image's name without its
  extension, ``parent`` its folder's name and ``id`` the case id. A relative
  template is taken from the current folder.

``images`` is a glob pattern (``**`` allowed) or a folder, which means every image
file in it. The case id is the image's stem without a ``_0000`` suffix; when all
images share one file name (``*/flair.nii.gz``) it is the folder's name instead.
A label that is named but missing is an error that names the image and the path
tried.

A label may also be a DICOM mask spec ``PATH::name=value,...``
(:mod:`medssl.io.dicom_mask`): ``PATH`` is paired by the rules above (or taken as it
is when it exists) and the structure mapping is kept, e.g. ``--labels
'{parent}/MASKS_DICOM.zip::liver=1'``.
"""

from __future__ import annotations

import glob
from pathlib import Path

from medssl.data.record import Record, case_ids, check_unique_ids
from medssl.errors import MedsslError
from medssl.io import image_stem, is_image_path
from medssl.io.dicom_mask import SPEC_SEPARATOR


def find_images(images: str | Path) -> list[Path]:
    """Image files matched by a glob pattern, or held by a folder, sorted.

    Raises:
        MedsslError: A folder with no image files, or a pattern matching none.
    """
    text = str(images)
    path = Path(text)
    if path.is_dir() and not glob.has_magic(text) and not is_image_path(path):
        found = sorted(p for p in path.iterdir() if not p.name.startswith(".") and is_image_path(p))
        if not found:
            raise MedsslError(
                f"image folder must hold image files (.nii, .nii.gz, .nrrd, .mha, ...); "
                f"found none in {path}"
            )
        return found
    if not glob.has_magic(text):
        if not path.exists():
            raise MedsslError(f"image file or folder not found: {path}")
        return [path]
    found = sorted(Path(p) for p in glob.glob(text, recursive=True) if is_image_path(p))
    if not found:
        raise MedsslError(
            f"image pattern must match at least one image file; '{text}' matched none"
        )
    return found


def pair_path(image: Path, rule: str | Path, *, case: str, what: str) -> Path:
    """The label (or ROI) path for ``image`` under one of the pairing rules.

    Raises:
        MedsslError: If the paired file does not exist; names the image and the path.
    """
    text = str(rule)
    if SPEC_SEPARATOR in text:
        base, _, mapping = text.rpartition(SPEC_SEPARATOR)
        if "{" not in base and Path(base).exists():
            return Path(text)
        return Path(f"{pair_path(image, base, case=case, what=what)}{SPEC_SEPARATOR}{mapping}")
    if "{" in text:
        try:
            candidates = [
                Path(text.format(id=case, stem=image_stem(image), parent=image.parent.name))
            ]
        except (KeyError, IndexError, ValueError) as exc:
            raise MedsslError(
                f"{what} template may use {{id}}, {{stem}}, {{parent}}; got '{text}' ({exc})"
            ) from None
    elif "/" not in text and "\\" not in text and not Path(text).is_dir():
        candidates = [image.parent / text]
    else:
        folder = Path(text)
        if not folder.is_dir():
            raise MedsslError(f"{what} folder not found: {folder}")
        suffix = image.name[len(image_stem(image)) :]
        candidates = [folder / image.name, folder / f"{case}{suffix}"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise MedsslError(f"{what} not found for image {image}: expected {candidates[-1]}")


def records_from_glob(
    images: str | Path,
    *,
    labels: str | Path | None = None,
    rois: str | Path | None = None,
    modality: str | None = None,
) -> list[Record]:
    """Records for every image matched by ``images``, paired as described above.

    Args:
        images: Glob pattern or folder.
        labels: Pairing rule for labels, or ``None`` for an unlabelled set.
        rois: Pairing rule for ROI masks, or ``None``.
        modality: Modality written into every record.

    Raises:
        MedsslError: No images, a missing label/ROI, or duplicated case ids.
    """
    paths = find_images(images)
    records = []
    for path, case in zip(paths, case_ids(paths), strict=True):
        records.append(
            Record(
                id=case,
                image=path,
                label=None if labels is None else pair_path(path, labels, case=case, what="label"),
                roi=None if rois is None else pair_path(path, rois, case=case, what="ROI"),
                modality=modality,
            )
        )
    return check_unique_ids(records, source=str(images))

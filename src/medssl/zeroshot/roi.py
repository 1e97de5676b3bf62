"""The organ a segmentation is kept inside: ``--roi`` and ``--roi-from-transfer``.

A region of interest (ROI) is a boolean mask on the scan's exact grid. It comes from

- a label given by the user (:func:`read_roi`): any spec :func:`medssl.io.read_label`
  accepts (a NIfTI/NRRD/MHA file, a DICOM folder, ``MASKS.zip::liver=1``); its voxels
  > 0 are the organ, or, with ``labels``, the voxels holding one of those values (one
  organ of a multi-organ map);
- one-shot k-NN label transfer (:func:`transfer_roi`): a labelled support scan names
  the organ by its value (``--roi-labels``; default the liver, 5, of a
  TotalSegmentator map) and :func:`medssl.methods.context.transfer.transfer_labels`
  finds it in the query.

:class:`RoiSource` is the ``roi_of`` of :class:`medssl.inference.roi.InsideRoi` and of
the z-score baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Image

#: The liver in a TotalSegmentator-style label map.
LIVER_LABEL = 5
#: The k-NN describer shipped for label transfer.
TRANSFER_MODEL = "context2d_heatmap"
#: Radius (mm) of the closing that makes a transferred organ solid: about two
#: descriptor blocks (stride 4 at 1.5 mm), fixed without any figure.
CLOSING_MM = 10.0


def solid_organ(mask: np.ndarray, spacing: Sequence[float], closing_mm: float = CLOSING_MM):
    """One solid organ from a transferred mask: its largest component, closed, holes filled.

    A lesion looks unlike the parenchyma around it, so k-NN label transfer gives it
    another label and leaves a hole or a notch exactly where it sits. An organ such as
    the liver is one simply connected piece: keep the largest 3-D component, close it
    with a ball of radius ``closing_mm``, fill its 3-D holes, then the holes of every
    slice along each axis (a notch open on one side is closed in some slice).

    Shape:
        ``mask``: (X, Y, Z) bool → the same.
    """
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    organ = labels == 1 + int(np.argmax(sizes))
    # work in the organ's box, with room for the closing: distance transforms in mm
    spacing = [float(s) for s in spacing]
    margin = [int(np.ceil(closing_mm / s)) + 1 for s in spacing]
    box = ndimage.find_objects(organ.astype(np.uint8))[0]
    box = tuple(slice(max(b.start - m, 0), min(b.stop + m, n))
                for b, m, n in zip(box, margin, mask.shape))  # fmt: skip
    part = np.pad(organ[box], [(m, m) for m in margin])
    if closing_mm > 0:  # dilate, then erode, by a ball of radius closing_mm
        grown = ndimage.distance_transform_edt(~part, sampling=spacing) <= closing_mm
        part = ndimage.distance_transform_edt(grown, sampling=spacing) > closing_mm
    part = ndimage.binary_fill_holes(part)
    for axis in range(3):
        slices = [ndimage.binary_fill_holes(s) for s in np.moveaxis(part, axis, 0)]
        part = np.moveaxis(np.stack(slices, axis=0), 0, axis)
    out = np.zeros_like(organ)
    out[box] = part[tuple(slice(m, m + b.stop - b.start) for m, b in zip(margin, box))]
    return out


def _describe(labels: Sequence[int] | None) -> str:
    if not labels:
        return "no voxel > 0"
    return f"no voxel of value {', '.join(str(v) for v in labels)}"


def organ_mask(array: np.ndarray, labels: Sequence[int] | None, source: str) -> np.ndarray:
    """The organ of a label map: voxels > 0, or those holding one of ``labels``.

    Raises:
        MedsslError: No organ voxel (naming the file and, with ``labels``, its values).

    Shape:
        (X, Y, Z) → (X, Y, Z) bool.
    """
    array = np.asarray(array)
    mask = array > 0 if not labels else np.isin(array, [int(v) for v in labels])
    if not mask.any():
        present = sorted(int(v) for v in np.unique(array) if v != 0)
        raise MedsslError(
            f"ROI {source} is empty ({_describe(labels)}; values present: {present or 'none'})"
        )
    return mask


def read_roi(
    spec: str | Path,
    image: Image,
    *,
    labels: Sequence[int] | None = None,
    series: str | None = None,
) -> np.ndarray:
    """The organ mask of ``image`` from a label file or spec, on the image's grid.

    Args:
        spec: Anything :func:`medssl.io.read_label` reads.
        image: The scan (its geometry's ``source`` is the file it was read from).
        labels: Values of the organ in a multi-organ map; default every value > 0.
        series: The scan's SeriesInstanceUID, when its DICOM folder holds several.

    Raises:
        MedsslError: A missing or unreadable ROI, one on another grid than the image
            (naming both files), or an empty one.

    Shape:
        The result: ``image``'s (X, Y, Z), bool.
    """
    from medssl.io import check_same_grid, read_label
    from medssl.io.dicom_mask import is_mask_source

    if not (Path(spec).exists() or is_mask_source(spec)):
        raise MedsslError(f"--roi not found: {spec}")
    reference = image.geometry.source
    roi = read_label(spec, reference=reference, reference_series=series)
    check_same_grid(
        image.geometry, roi.geometry, what=f"--roi {spec} is not on the grid of {reference}"
    )
    return organ_mask(roi.array, labels, str(spec))


def transfer_roi(
    image: Image,
    support_image: str | Path,
    support_label: str | Path,
    *,
    organ: int = LIVER_LABEL,
    model: str | Path = TRANSFER_MODEL,
) -> np.ndarray:
    """The organ of ``image`` found by k-NN label transfer from one labelled scan.

    Args:
        image: The query scan (CT in HU).
        support_image: A scan in which the organ is labelled.
        support_label: Its label map (any :func:`medssl.io.read_label` spec).
        organ: The organ's value in ``support_label``.
        model: The describer (:func:`~medssl.methods.context.describers.load_describer`).

    The transferred organ is made solid (:func:`solid_organ`), so that lesions the
    transfer left out fall inside it again.

    Raises:
        MedsslError: Missing support files, a support label without ``organ`` (naming
            the file and the values it holds), or no organ found in the query.

    Shape:
        The result: ``image``'s (X, Y, Z), bool.
    """
    from medssl.io import read_image, read_label
    from medssl.methods.context.describers import load_describer
    from medssl.methods.context.transfer import Vote, transfer_labels

    for what, path in (("support image", support_image), ("support label", support_label)):
        if not Path(str(path).split("::")[0]).exists():
            raise MedsslError(f"--roi-from-transfer {what} not found: {path}")
    support = read_image(support_image)
    label = read_label(support_label, reference=support_image)
    present = sorted(int(v) for v in np.unique(label.array) if v != 0)
    if int(organ) not in present:
        raise MedsslError(
            f"support label {support_label} has no voxel of the organ's value {organ} "
            f"(values present: {present or 'none'}); name it with --roi-labels"
        )
    # Position in the support's body box through an affine alignment, fully
    # class-balanced: chosen over the paper's plain majority on the liver of a scan with
    # no manual label (see the ld_liver_ct card).
    vote = Vote(balance_power=1.0)
    transferred = transfer_labels(
        image, [(support, label)], load_describer(model), labels=[organ], vote=vote
    )
    mask = np.asarray(transferred) == int(organ)
    if not mask.any():
        raise MedsslError(
            f"label transfer from {support_label} found no organ (value {organ}) in "
            f"{image.geometry.source}"
        )
    return solid_organ(mask, image.geometry.spacing)


@dataclass(frozen=True)
class RoiSource:
    """Where each scan's organ comes from (exactly one of ``path`` and ``support``).

    Attributes:
        path: A label spec on the scan's grid (``--roi``).
        support: ``(image, label)`` of a labelled support scan (``--roi-from-transfer``).
        labels: Organ values (``--roi-labels``); default: > 0 for ``path``, the liver
            (:data:`LIVER_LABEL`) for ``support``.
        model: The transfer describer.
        series: The scans' SeriesInstanceUID, for DICOM folders with several.
    """

    path: str | Path | None = None
    support: tuple[str | Path, str | Path] | None = None
    labels: tuple[int, ...] | None = None
    model: str | Path = TRANSFER_MODEL
    series: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.support is None):
            raise MedsslError("give one organ ROI: --roi or --roi-from-transfer, not both")
        if self.support is not None and self.labels is not None and len(self.labels) != 1:
            raise MedsslError(
                f"--roi-from-transfer needs one organ value in --roi-labels; got {list(self.labels)}"
            )

    def __call__(self, image: Image) -> np.ndarray:
        """The organ mask of ``image`` (bool, on its grid)."""
        if self.path is not None:
            return read_roi(self.path, image, labels=self.labels, series=self.series)
        organ = self.labels[0] if self.labels else LIVER_LABEL
        support_image, support_label = self.support or ("", "")
        return transfer_roi(image, support_image, support_label, organ=organ, model=self.model)

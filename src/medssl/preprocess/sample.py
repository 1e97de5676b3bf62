"""A preprocessed case: arrays at network resolution plus the record to undo it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Geometry


@dataclass
class Sample:
    """What :meth:`Pipeline.apply` returns (and :class:`PreprocessCache` stores).

    Shape:
        ``image``: (X, Y, Z) float32; ``label`` and ``roi``: (X, Y, Z) integer or None.

    Args:
        image: The preprocessed image.
        label: The label map on the same grid, or ``None``.
        roi: The ROI mask/label map on the same grid, or ``None``.
        spacing: Voxel size in mm along (X, Y, Z) of the preprocessed grid.
        record: JSON-able list of step records; ``record[0]`` describes the input
            grid (``{"step": "input", "shape", "affine", "source"}``). Give it to
            :meth:`Pipeline.invert` to map a prediction back.
        affine: 4×4 voxel-to-world (RAS+, mm) matrix of the preprocessed grid.
    """

    image: np.ndarray
    label: np.ndarray | None
    roi: np.ndarray | None
    spacing: tuple[float, float, float]
    record: list[dict[str, Any]]
    affine: np.ndarray = field(default_factory=lambda: np.eye(4), repr=False)

    @property
    def geometry(self) -> Geometry:
        """The preprocessed grid."""
        return Geometry(self.image.shape, self.affine, source_geometry(self.record).source)

    @property
    def source_geometry(self) -> Geometry:
        """The grid of the original image file, where inverted predictions land."""
        return source_geometry(self.record)


def input_record(geometry: Geometry) -> dict[str, Any]:
    """The first entry of every record: the original grid."""
    return {
        "step": "input",
        "shape": list(geometry.shape),
        "affine": [[float(v) for v in row] for row in geometry.affine],
        "source": geometry.source,
    }


def source_geometry(record: list[dict[str, Any]]) -> Geometry:
    """The original grid stored in ``record[0]``.

    Raises:
        MedsslError: If the record does not start with an input entry.
    """
    if not record or not isinstance(record[0], dict) or record[0].get("step") != "input":
        raise MedsslError("preprocessing record must start with an 'input' entry; got a bad record")
    first = record[0]
    return Geometry(tuple(first["shape"]), np.asarray(first["affine"]), first.get("source"))

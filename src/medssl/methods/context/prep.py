"""The preprocessing shared by context pretraining, descriptors and label transfer.

RAS orientation, a crop to the body (HU > -500, no organ label), the abdominal
soft-tissue window (-175..250 HU → [0, 1]) and resampling to ``SPACING_MM`` isotropic.
The descriptor geometry (plane and cube sizes, offsets) is defined in voxels of this
grid, so one voxel is the same physical length in every scan. The spacing is fixed
once for all context models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from medssl.preprocess import Pipeline
from medssl.preprocess.crop import Crop
from medssl.preprocess.ct_window import CTWindow
from medssl.preprocess.reorient import Reorient
from medssl.preprocess.resample import Resample

#: Isotropic voxel size (mm) of every context model's grid.
SPACING_MM = 2.0
#: Body threshold (HU) for the crop.
BODY_HU = -500.0
#: Anchor centres lie where the windowed image exceeds this (inside the body).
BODY_LEVEL = 0.0


def context_pipeline(*, spacing: float = SPACING_MM) -> Pipeline:
    """The context preprocessing as an invertible :class:`~medssl.preprocess.Pipeline`."""
    return Pipeline(
        [
            Reorient(),
            Crop(source="image", threshold=BODY_HU),
            CTWindow(low=-175.0, high=250.0, out_range=(0.0, 1.0)),
            Resample(spacing=spacing),
        ]
    )


def load_context_volumes(
    records: Sequence[Any], *, spacing: float = SPACING_MM, cache: str | None = None
) -> list[np.ndarray]:
    """Every record's image preprocessed (through the on-disk cache) to the context grid.

    Raises:
        MedsslError: If there is no record or one cannot be read.
    """
    from medssl.errors import MedsslError
    from medssl.preprocess import PreprocessCache

    records = list(records)
    if not records:
        raise MedsslError("no training records: give CT image files, a folder or a CSV")
    store = PreprocessCache(cache)
    pipeline = context_pipeline(spacing=spacing)
    return [np.asarray(store.get(r.image, pipeline).image, np.float32) for r in records]

"""Refuse a preprocessing grid too large for memory, before any voxel is allocated.

A wrong voxel spacing in a header (say 1e6 mm instead of 1 mm), or an absurd target
spacing, turns "resample to 1.5 mm" into a grid of billions of voxels. The grid each
step will produce is known from the input's header alone (:meth:`Step.plan`), so
:func:`check_grid_size` estimates the memory before reading or resampling anything
and stops with one line naming the file, its spacing, the step and the size.

The limit is :data:`DEFAULT_MAX_GIB` GiB, or the environment variable
``MEDSSL_MAX_GRID_GIB``, or the ``limit_gib`` argument.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Geometry

if TYPE_CHECKING:
    from medssl.preprocess.pipeline import Pipeline

#: Default largest estimated memory (GiB) of one preprocessed case.
DEFAULT_MAX_GIB = 16.0
ENV_VAR = "MEDSSL_MAX_GRID_GIB"
#: Bytes per voxel of each array a step holds: float32 image (labels/ROIs count alike).
BYTES_PER_VOXEL = 4


def max_grid_gib(limit_gib: float | None = None) -> float:
    """The limit in GiB: ``limit_gib``, else ``$MEDSSL_MAX_GRID_GIB``, else the default.

    Raises:
        MedsslError: A limit that is not a positive number.
    """
    if limit_gib is None:
        text = os.environ.get(ENV_VAR)
        if not text:
            return DEFAULT_MAX_GIB
        try:
            limit_gib = float(text)
        except ValueError:
            raise MedsslError(f"{ENV_VAR} must be a number of GiB; got '{text}'") from None
    if not np.isfinite(limit_gib) or limit_gib <= 0:
        raise MedsslError(
            f"the grid memory limit must be a positive number of GiB; got {limit_gib}"
        )
    return float(limit_gib)


def _spacing(affine: np.ndarray) -> str:
    values = np.linalg.norm(np.asarray(affine)[:3, :3], axis=0)
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def check_grid_size(
    pipeline: Pipeline,
    geometry: Geometry,
    *,
    arrays: int = 1,
    limit_gib: float | None = None,
) -> None:
    """Raise if a grid of ``pipeline`` on ``geometry`` would exceed the memory limit.

    The estimate for a step is (input + output voxels) × 4 bytes × ``arrays`` (the
    image plus any label and ROI carried along); the input grid itself counts too.

    Args:
        pipeline: The preprocessing to run.
        geometry: The input grid (from the header; no voxel is needed).
        arrays: How many arrays go through the pipeline together.
        limit_gib: Limit in GiB; default :func:`max_grid_gib`.

    Raises:
        MedsslError: Naming the file, its spacing, the step, the grid and the estimate.
    """
    limit = max_grid_gib(limit_gib)
    shape, affine = tuple(geometry.shape), geometry.affine
    per_voxel = BYTES_PER_VOXEL * max(1, int(arrays))
    source = geometry.source or "image"
    in_gib = float(np.prod(shape, dtype=np.float64)) * per_voxel / 2**30
    if in_gib > limit:
        raise MedsslError(
            f"{source}: the image grid {'x'.join(map(str, shape))} needs about {in_gib:.3g} GiB, "
            f"over the limit of {limit:g} GiB (set {ENV_VAR} to change it)"
        )
    for step in pipeline.steps:
        out_shape, out_affine = step.plan(shape, affine)
        voxels = float(np.prod(shape, dtype=np.float64)) + float(
            np.prod(out_shape, dtype=np.float64)
        )
        gib = voxels * per_voxel / 2**30
        if gib > limit:
            raise MedsslError(
                f"{source}: step '{step.name}' would turn the grid {'x'.join(map(str, shape))} "
                f"at spacing {_spacing(affine)} mm into {'x'.join(map(str, out_shape))} at "
                f"{_spacing(out_affine)} mm, about {gib:.3g} GiB, over the limit of {limit:g} GiB "
                f"(set {ENV_VAR} to change it); check the voxel spacing in the file's header "
                "and the target spacing"
            )
        shape, affine = out_shape, out_affine

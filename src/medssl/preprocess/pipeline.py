"""A chain of invertible preprocessing steps, built from code, a config or a preset."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Geometry, Image, check_same_grid
from medssl.preprocess.sample import Sample, input_record, source_geometry
from medssl.preprocess.step import STEPS, State, Step, step_from_config

#: Bumped whenever a step's output changes for the same config (invalidates caches).
PREPROCESS_VERSION = 1


class Pipeline:
    """Run steps in order; record each so that predictions map back to the input grid.

    Example:
        >>> pipe = Pipeline([Reorient(), Resample(spacing=1.5), FitGrid(size=64)])
        >>> sample = pipe.apply(read_image("ct.nii.gz"))            # doctest: +SKIP
        >>> mask = Pipeline.invert(pred, sample.record, is_label=True)  # doctest: +SKIP
        >>> write_image(mask, sample.source_geometry, "mask.nii.gz")   # doctest: +SKIP

    Args:
        steps: The steps, applied first to last.
    """

    def __init__(self, steps: Sequence[Step]) -> None:
        for step in steps:
            if not isinstance(step, Step):
                raise MedsslError(f"pipeline steps must be Step objects; got {step!r}")
        self.steps: list[Step] = list(steps)

    def __repr__(self) -> str:
        return f"Pipeline([{', '.join(repr(s) for s in self.steps)}])"

    def apply(
        self, image: Image, *, label: Image | None = None, roi: Image | None = None
    ) -> Sample:
        """Preprocess one case.

        Args:
            image: The image (any orientation).
            label: Its label map, on the same grid, or ``None``.
            roi: An ROI mask or label map (e.g. a brain mask, or an organ map to crop
                to), on the same grid, or ``None``.

        Returns:
            The :class:`Sample` with float32 image, the label and ROI on the same grid,
            the spacing and the record.

        Raises:
            MedsslError: A grid over the memory limit (see :meth:`check_size`), NaN/Inf
                voxels, a label or ROI on another grid (naming both files), or a step's
                own check (empty foreground or ROI, ...).
        """
        geometry = image.geometry
        self.check_size(geometry, arrays=1 + (label is not None) + (roi is not None))
        array = np.asarray(image.array)
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            bad = int(np.count_nonzero(~np.isfinite(array)))
            raise MedsslError(
                f"image voxels must be finite; found {bad} NaN or Inf voxels in {geometry.source}"
            )
        for other, what in ((label, "label"), (roi, "ROI")):
            if other is not None:
                check_same_grid(geometry, other.geometry, what=f"{what} does not match image")
        state = State(
            image=array.astype(np.float32, copy=False),
            affine=geometry.affine,
            label=None if label is None else np.asarray(label.array),
            roi=None if roi is None else np.asarray(roi.array),
            source=geometry.source,
            roi_source=None if roi is None else roi.geometry.source,
        )
        record = [input_record(geometry)]
        for step in self.steps:
            state, entry = step.apply(state)
            entry["out_shape"] = list(state.image.shape)
            record.append(entry)
        return Sample(
            image=np.ascontiguousarray(state.image, dtype=np.float32),
            label=state.label,
            roi=state.roi,
            spacing=state.spacing,
            record=record,
            affine=state.affine,
        )

    def check_size(
        self, geometry: Geometry, *, arrays: int = 1, limit_gib: float | None = None
    ) -> None:
        """Refuse an input whose grids would not fit the memory limit, before loading it.

        Args:
            geometry: The input grid, e.g. from :func:`medssl.io.read_geometry`.
            arrays: Image plus the label/ROI arrays carried along.
            limit_gib: Limit in GiB (default ``$MEDSSL_MAX_GRID_GIB`` or 16).

        Raises:
            MedsslError: One line naming the file, its spacing, the step and the size.
        """
        from medssl.preprocess.budget import check_grid_size

        check_grid_size(self, geometry, arrays=arrays, limit_gib=limit_gib)

    @staticmethod
    def invert(array: np.ndarray, record: list[dict[str, Any]], *, is_label: bool) -> np.ndarray:
        """Map an array on the preprocessed grid back to the original image's grid.

        Works from the record alone (the pipeline that made it is not needed).

        Args:
            array: A prediction on the preprocessed grid: labels or a mask
                (``is_label=True``, nearest), or probabilities/intensities (linear).
            record: ``Sample.record``.
            is_label: Nearest-neighbour (labels, masks) or linear (probabilities).

        Returns:
            The array in the original grid, whose shape and affine are
            ``source_geometry(record)``. Regions cropped away are 0.

        Shape:
            (X, Y, Z) → original (X0, Y0, Z0); channel-first (C, X, Y, Z) → (C, X0, Y0, Z0).

        Raises:
            MedsslError: A bad record, or an array whose shape is not the final grid.
        """
        original = source_geometry(record)
        array = np.asarray(array)
        expected = tuple(record[-1].get("out_shape", original.shape))
        if array.ndim not in (3, 4) or tuple(array.shape[-3:]) != expected:
            raise MedsslError(
                f"array to invert must have spatial shape {expected} (the preprocessed grid); "
                f"got {array.shape} for {original.source}"
            )
        for entry in reversed(record[1:]):
            array = STEPS.get(entry["step"]).invert(array, entry, is_label=is_label)
        return array

    def to_config(self) -> dict[str, Any]:
        """``{"steps": [{"name": ..., **options}, ...]}``, JSON- and YAML-able."""
        return {"steps": [step.to_config() for step in self.steps]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        """Build from :meth:`to_config` output, or from ``{"preset": name, **options}``.

        Raises:
            MedsslError: Not a dict, no ``steps``/``preset`` key, or a bad step.
        """
        if not isinstance(config, dict):
            raise MedsslError(f"pipeline config must be a mapping; got {type(config).__name__}")
        if "preset" in config:
            from medssl.preprocess.presets import preset

            options = {k: v for k, v in config.items() if k != "preset"}
            return preset(config["preset"], **options)
        steps = config.get("steps")
        if not isinstance(steps, list):
            raise MedsslError(
                f"pipeline config needs a 'steps' list or a 'preset' name; got keys {sorted(config)}"
            )
        return cls([step_from_config(entry) for entry in steps])

    def config_hash(self) -> str:
        """A short stable hash of the config and :data:`PREPROCESS_VERSION`."""
        text = json.dumps({"v": PREPROCESS_VERSION, **self.to_config()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

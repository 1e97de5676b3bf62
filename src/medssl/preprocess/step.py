"""The seam every preprocessing step fits: apply to a working grid, record, invert.

A step is a small frozen dataclass. ``apply`` turns a :class:`State` (the image, the
optional label and ROI, and the current voxel-to-world affine) into a new state and a
JSON-able record of what it did. ``invert`` uses that record to map an array from the
step's output grid back onto its input grid, so that a whole :class:`Pipeline` can
bring any prediction back to the original file's grid.

Steps register themselves by name in :data:`STEPS`, which is how a pipeline is built
from a config dict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from medssl.errors import MedsslError
from medssl.registry import Registry

STEPS: Registry = Registry("preprocessing step")


@dataclass
class State:
    """The arrays being preprocessed and the grid they currently live in.

    Shape:
        ``image``, ``label``, ``roi``: (X, Y, Z), all the same shape.

    Args:
        image: The image (float32 once intensity steps have run).
        affine: 4×4 voxel-to-world (RAS+, mm) matrix of the current grid.
        label: Integer label map, or ``None``.
        roi: Region-of-interest mask or label map, or ``None``.
        source: The image file, for error messages.
        roi_source: The ROI file, for error messages.
    """

    image: np.ndarray
    affine: np.ndarray
    label: np.ndarray | None = None
    roi: np.ndarray | None = None
    source: str | None = None
    roi_source: str | None = None

    def map(
        self,
        image_fn: Callable[[np.ndarray], np.ndarray],
        mask_fn: Callable[[np.ndarray], np.ndarray],
        affine: np.ndarray,
    ) -> State:
        """A new state: ``image_fn`` on the image, ``mask_fn`` on label and ROI."""
        return dataclasses.replace(
            self,
            image=image_fn(self.image),
            label=None if self.label is None else mask_fn(self.label),
            roi=None if self.roi is None else mask_fn(self.roi),
            affine=np.asarray(affine, dtype=np.float64),
        )

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size in mm along (i, j, k) of the current grid."""
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))


class Step:
    """Base class of a preprocessing step (subclasses are frozen dataclasses).

    Subclasses set ``name`` and implement :meth:`apply`; geometric steps also
    override :meth:`invert` (the default is the identity, right for intensity steps).
    """

    name: ClassVar[str] = ""

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        """Run the step; return the new state and a JSON-able record."""
        raise NotImplementedError

    def plan(
        self, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[tuple[int, ...], np.ndarray]:
        """The output grid for an input grid, computed without any voxel.

        The default (intensity steps, and crops, whose box depends on the data) keeps
        the grid: an upper bound of the output size.
        """
        return tuple(int(n) for n in shape), np.asarray(affine, dtype=np.float64)

    @classmethod
    def invert(cls, array: np.ndarray, record: dict[str, Any], *, is_label: bool) -> np.ndarray:
        """Map ``array`` from this step's output grid to its input grid.

        Shape:
            ``array``: (X, Y, Z) or channel-first (C, X, Y, Z).
        """
        return array

    def to_config(self) -> dict[str, Any]:
        """``{"name": ..., **options}``, the inverse of :func:`step_from_config`."""
        options = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"name": self.name, **options}


def register_step(cls: type[Step]) -> type[Step]:
    """Class decorator: add a step to :data:`STEPS` under its ``name``."""
    return STEPS.register(cls.name)(cls)


def step_from_config(config: dict[str, Any]) -> Step:
    """Build a step from ``{"name": ..., **options}``.

    Raises:
        MedsslError: Missing or unknown name, or an unknown option.
    """
    if not isinstance(config, dict) or "name" not in config:
        raise MedsslError(
            f"a preprocessing step config must be a dict with a 'name'; got {config!r}"
        )
    options = dict(config)
    cls = STEPS.get(options.pop("name"))
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise MedsslError(
            f"unknown option(s) {', '.join(unknown)} for step '{cls.name}'; "
            f"valid options: {', '.join(sorted(known)) or '(none)'}"
        )
    return cls(**options)


def per_channel(array: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a 3D function to a (X, Y, Z) array or to each channel of (C, X, Y, Z)."""
    if array.ndim == 3:
        return fn(array)
    if array.ndim == 4:
        return np.stack([fn(channel) for channel in array])
    raise MedsslError(f"array to invert must be (X, Y, Z) or (C, X, Y, Z); got shape {array.shape}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value

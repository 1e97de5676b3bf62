"""Place random tumour shapes inside a region of interest (brain or organ mask).

Each tumour is drawn whole (volume, shape and a centre on a random ROI voxel) and
kept when at least ``min_inside_fraction`` of its voxels lie in the ROI; otherwise it
is redrawn, up to ``max_tries`` times. Redrawing the volume too means that large
tumours that cannot fit near the ROI's edge give way to smaller ones, instead of
failing. A tumour that never fits is dropped; if none of a sample's tumours fits,
:class:`MedsslError` says why. The part outside the ROI is cut off later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.synthesis.config import SynthesisConfig
from medssl.synthesis.raster import bounding_box, rasterise_box
from medssl.synthesis.shape import ShapeParams, sample_shape, shape_frame


@dataclass(frozen=True)
class PlacedShape:
    """A shape with its rasterised mask (before cutting by the ROI).

    Attributes:
        params: Parameters of the shape.
        box: Voxel slices of its bounding box.
        mask: Boolean mask on ``box``.
    """

    params: ShapeParams
    box: tuple[slice, slice, slice]
    mask: np.ndarray


def volume_range(config: SynthesisConfig, organ_mm3: float) -> tuple[float, float]:
    """Range of tumour volumes in mm³: ``volume_range_mm3``, or from ``radius_fraction_range``.

    With radius fractions ``f``, a tumour's volume is ``f³`` times the organ's (the
    radii of spheres of those volumes are in the ratio ``f``).
    """
    if config.radius_fraction_range is None:
        return config.volume_range_mm3
    low, high = config.radius_fraction_range
    return float(low**3 * organ_mm3), float(high**3 * organ_mm3)


def draw_volume(
    rng: np.random.Generator, config: SynthesisConfig, organ_mm3: float | None = None
) -> float:
    """One tumour volume in mm³, uniform or log-uniform in :func:`volume_range`.

    Raises:
        MedsslError: Radius fractions without a positive ``organ_mm3``.
    """
    if config.radius_fraction_range is not None and not (organ_mm3 or 0) > 0:
        raise MedsslError("radius_fraction_range needs the organ's volume (organ_mm3 > 0)")
    low, high = volume_range(config, float(organ_mm3 or 0.0))
    if config.volume_sampling == "log-uniform":
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


def rasterise_shape(
    params: ShapeParams, grid_shape: tuple[int, int, int], spacing: tuple[float, float, float]
) -> PlacedShape | None:
    """Rasterise one shape on the grid; None if it misses the grid entirely."""
    frame = shape_frame(params)
    box = bounding_box(frame, params.centre_mm, grid_shape, spacing)
    if box is None:
        return None
    mask = rasterise_box(frame, params.centre_mm, box, spacing, subdivisions=params.subdivisions)
    return PlacedShape(params=params, box=box, mask=mask)


def place_tumours(
    rng: np.random.Generator,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    config: SynthesisConfig,
    *,
    centre_roi: np.ndarray | None = None,
    organ_mm3: float | None = None,
) -> list[PlacedShape]:
    """Draw ``K ~ U{count_range}`` tumours that lie mostly inside ``roi``.

    Args:
        rng: Source of all randomness.
        roi: Boolean region of interest, shape (X, Y, Z).
        spacing: Voxel size in mm.
        config: Synthesis options.
        centre_roi: Voxels the centres are drawn from (default ``roi``; an empty
            one falls back to ``roi``).
        organ_mm3: Volume of the whole organ, which ``radius_fraction_range``
            refers to (default: the ROI's; give it when ``roi`` is a crop's part).

    Returns:
        The placed tumours (at least one, possibly fewer than ``K``).

    Raises:
        MedsslError: If the ROI is empty, too small for the smallest tumour, or no
            tumour could be placed in ``max_tries`` draws.
    """
    roi_index = np.flatnonzero(roi)
    voxel_mm3 = float(np.prod(spacing))
    roi_mm3 = roi_index.size * voxel_mm3
    if roi_index.size == 0:
        raise MedsslError("the ROI is empty; tumours need a non-empty brain or organ mask")
    organ_mm3 = roi_mm3 if organ_mm3 is None else float(organ_mm3)
    sizes = volume_range(config, organ_mm3)
    smallest = sizes[0] * config.min_inside_fraction
    if roi_mm3 < smallest:
        raise MedsslError(
            f"the ROI ({roi_mm3:.0f} mm³) is smaller than the smallest tumour part that must fit "
            f"inside it ({smallest:.0f} mm³); lower volume_range_mm3 or radius_fraction_range, "
            "or use a larger ROI"
        )
    count = int(rng.integers(config.count_range[0], config.count_range[1] + 1))
    centres = roi_index
    if centre_roi is not None and np.shape(centre_roi) == roi.shape and np.any(centre_roi):
        centres = np.flatnonzero(centre_roi)
    placed: list[PlacedShape] = []
    for _ in range(count):
        shape = _place_one(rng, roi, centres, spacing, config, organ_mm3)
        if shape is not None:
            placed.append(shape)
    if not placed:
        raise MedsslError(
            f"could not fit a tumour of {sizes[0]:.0f}-{sizes[1]:.0f} mm³ with {config.min_inside_fraction:.0%} inside "
            f"the ROI ({roi_mm3:.0f} mm³) in {config.max_tries} tries; lower volume_range_mm3 "
            "or min_inside_fraction, or use a larger ROI"
        )
    return placed


def _place_one(
    rng: np.random.Generator,
    roi: np.ndarray,
    roi_index: np.ndarray,
    spacing: tuple[float, float, float],
    config: SynthesisConfig,
    organ_mm3: float,
) -> PlacedShape | None:
    """Up to ``max_tries`` full draws of one tumour; the first that fits, else None."""
    for _ in range(config.max_tries):
        voxel = np.unravel_index(roi_index[rng.integers(roi_index.size)], roi.shape)
        centre = np.asarray(voxel, dtype=np.float64) * np.asarray(spacing)
        params = sample_shape(
            rng,
            centre_mm=centre,
            volume_mm3=draw_volume(rng, config, organ_mm3),
            axis_ratio_range=config.axis_ratio_range,
            octaves_range=config.octaves_range,
            noise_amplitude=config.noise_amplitude,
            noise_frequency=config.noise_frequency,
            subdivisions=config.subdivisions,
        )
        shape = rasterise_shape(params, roi.shape, spacing)
        if shape is None:
            continue
        total = int(np.count_nonzero(shape.mask))
        inside = int(np.count_nonzero(shape.mask & roi[shape.box]))
        if total > 0 and inside >= config.min_inside_fraction * total:
            return shape
    return None

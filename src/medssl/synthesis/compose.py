"""Compose a synthetic tumour sample: ``x = (1 - α·m)·x_n + α·m·s``.

Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition": a
normal image ``x_n`` (here ``normal``) receives tumour masks ``m`` drawn by
:mod:`medssl.synthesis.placement`, filled with the texture ``s = m · τ(x_nj)`` of a
different normal image (``other``, see :mod:`medssl.synthesis.texture`) with opacity
``α``. A network then learns to decompose ``x`` back into ``x_n``, ``s`` and ``m``.

Randomness lives in :func:`sample_params` (a ``numpy.random.Generator`` in, a
:class:`TumourParams` out); :func:`apply_params` is deterministic; :func:`synthesize`
does both. A sample is re-made from ``(seed, index)`` with :func:`sample_rng`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from medssl.errors import MedsslError
from medssl.synthesis.config import SynthesisConfig, brain
from medssl.synthesis.placement import PlacedShape, place_tumours, rasterise_shape
from medssl.synthesis.shape import ShapeParams
from medssl.synthesis.texture import (
    BLUR_TRUNCATE,
    TextureParams,
    apply_texture,
    sample_source_shift,
    sample_texture,
    shift_box,
)

Spacing = tuple[float, float, float]


@dataclass(frozen=True)
class TumourParams:
    """All drawn values of one sample; :func:`apply_params` rebuilds it exactly.

    Attributes:
        grid_shape: Shape of the images the parameters were drawn for.
        spacing: Voxel size in mm.
        shapes: One entry per tumour.
        texture: Texture transform of ``other`` (shared by the tumours).
        alpha: Opacity of the tumour layer.
        edge_sigma_mm: Gaussian softening of the mask before blending (0: hard).
    """

    grid_shape: tuple[int, int, int]
    spacing: Spacing
    shapes: tuple[ShapeParams, ...]
    texture: TextureParams
    alpha: float
    edge_sigma_mm: float


@dataclass
class TumourSample:
    """One synthetic sample and its layers.

    Shape:
        ``image``, ``normal``, ``texture``, ``blend``: (X, Y, Z) float32;
        ``mask``: (X, Y, Z) uint8.

    Attributes:
        image: ``x = (1 - blend)·x_n + blend·τ``; with hard edges ``blend = α·m``,
            so ``x = (1 - α·m)·x_n + α·m·s``.
        normal: ``x_n``, the normal image.
        texture: ``s = m · τ(x_nj)``.
        mask: ``m``, the tumour mask (inside the ROI).
        alpha: ``α``.
        blend: Per-voxel weight of the tumour layer (``α·m``, or ``α`` times the
            softened mask).
        params: The parameters that made the sample.
    """

    image: np.ndarray
    normal: np.ndarray
    texture: np.ndarray
    mask: np.ndarray
    alpha: float
    blend: np.ndarray
    params: TumourParams


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index`` in a run seeded with ``seed``.

    Raises:
        MedsslError: If ``seed`` or ``index`` is negative.
    """
    if int(seed) < 0 or int(index) < 0:
        raise MedsslError(f"seed and index must be non-negative; got seed={seed}, index={index}")
    return np.random.default_rng([int(seed), int(index)])


def sample_params(
    rng: np.random.Generator,
    roi: np.ndarray,
    spacing: Spacing,
    config: SynthesisConfig,
    *,
    other_roi: np.ndarray | None = None,
    organ_mm3: float | None = None,
) -> TumourParams:
    """Draw tumour shapes inside ``roi``, a texture transform and an opacity.

    Args:
        rng: Source of all randomness.
        roi: Brain or organ mask (non-zero inside), shape (X, Y, Z).
        spacing: Voxel size in mm.
        config: Synthesis options (e.g. :func:`medssl.synthesis.brain`).
        other_roi: Organ mask of the texture image ``x_nj``; the texture is read
            around one of its voxels. Defaults to ``roi``.
        organ_mm3: Volume of the whole organ for ``radius_fraction_range``
            (default: the ROI's).

    Returns:
        The parameters of one sample.

    Raises:
        MedsslError: If the ROI is not 3D, the spacing is not 3 positive values, or
            no tumour fits in the ROI.
    """
    roi = _check_roi(roi)
    source = roi if other_roi is None else _check_roi(other_roi)
    return _draw(rng, roi, source, _check_spacing(spacing), config, organ_mm3=organ_mm3)[0]


def apply_params(
    normal: np.ndarray,
    other: np.ndarray,
    roi: np.ndarray,
    params: TumourParams,
) -> TumourSample:
    """Make the sample described by ``params`` (deterministic).

    Args:
        normal: ``x_n``, shape (X, Y, Z).
        other: ``x_nj``, a different normal image on the same grid.
        roi: Mask of the organ in ``normal``; ``Mean(x_n)`` is taken over it and the
            tumours are cut to it.
        params: From :func:`sample_params`.

    Returns:
        The sample.

    Raises:
        MedsslError: If the arrays' shapes differ from each other or from
            ``params.grid_shape``.
    """
    roi = _check_roi(roi)
    shapes = [rasterise_shape(p, params.grid_shape, params.spacing) for p in params.shapes]
    return _compose(normal, other, roi, params, [s for s in shapes if s is not None])


def synthesize(
    normal: np.ndarray,
    other: np.ndarray,
    roi: np.ndarray,
    *,
    params_or_rng: TumourParams | np.random.Generator,
    spacing: Spacing = (1.0, 1.0, 1.0),
    config: SynthesisConfig | None = None,
    other_roi: np.ndarray | None = None,
    centre_roi: np.ndarray | None = None,
    organ_mm3: float | None = None,
) -> TumourSample:
    """Paste simulated tumours with ``other``'s texture into ``normal``.

    Args:
        normal: ``x_n``, shape (X, Y, Z), e.g. a z-scored FLAIR (0 outside the brain).
        other: ``x_nj``, a different normal image on the same grid.
        roi: Organ mask of ``normal`` (brain: the brain mask, or the voxels above
            the constant background; liver: its label).
        params_or_rng: A generator to draw new parameters, or parameters to replay
            (then ``spacing`` and ``config`` are ignored).
        spacing: Voxel size in mm.
        config: Synthesis options; defaults to :func:`medssl.synthesis.brain`.
        other_roi: Organ mask of ``other``, where the texture is read (defaults to
            ``roi``); ignored when replaying parameters.
        centre_roi: Where tumour centres are drawn (e.g. next to the ventricles);
            default ``roi``. The tumours must still lie mostly inside ``roi``.
        organ_mm3: Volume of the whole organ, which ``config.radius_fraction_range``
            refers to (default: the ROI's; give it when ``roi`` is a crop's part).

    Returns:
        The sample, with the parameters that made it.

    Raises:
        MedsslError: For mismatched shapes, a bad spacing or an ROI too small.
    """
    if isinstance(params_or_rng, TumourParams):
        return apply_params(normal, other, roi, params_or_rng)
    roi = _check_roi(roi)
    source = roi if other_roi is None else _check_roi(other_roi)
    params, shapes = _draw(
        params_or_rng, roi, source, _check_spacing(spacing), config or brain(), centre_roi,
        organ_mm3=organ_mm3,
    )  # fmt: skip
    return _compose(normal, other, roi, params, shapes)


def _draw(
    rng: np.random.Generator,
    roi: np.ndarray,
    source_roi: np.ndarray,
    spacing: Spacing,
    config: SynthesisConfig,
    centre_roi: np.ndarray | None = None,
    *,
    organ_mm3: float | None = None,
) -> tuple[TumourParams, list[PlacedShape]]:
    if source_roi.shape != roi.shape:
        raise MedsslError(
            f"other_roi must have the ROI's shape {roi.shape}; got {source_roi.shape}"
        )
    shapes = place_tumours(rng, roi, spacing, config, centre_roi=centre_roi, organ_mm3=organ_mm3)
    texture = sample_texture(
        rng,
        elastic=config.elastic,
        blur=config.blur,
        intensity=config.intensity,
        control_points=config.elastic_control_points,
        max_displacement_mm=config.elastic_max_displacement_mm,
        blur_sigma_mm_range=config.blur_sigma_mm_range,
        intensity_ratio_range=config.intensity_ratio_range,
        intensity_floor=config.intensity_floor,
    )
    if config.density_variants:
        texture = replace(texture, intensity_ratio=draw_density_ratio(rng, config))
    box, mask = _union(shapes, roi, np.zeros(3, int))
    shift = sample_source_shift(rng, mask, box, source_roi, tries=config.max_tries)
    texture = replace(texture, source_shift=shift)
    params = TumourParams(
        grid_shape=tuple(int(n) for n in roi.shape),
        spacing=spacing,
        shapes=tuple(s.params for s in shapes),
        texture=texture,
        alpha=float(rng.uniform(*config.alpha_range)),
        edge_sigma_mm=float(config.edge_sigma_mm),
    )
    return params, shapes


DENSITIES = ("hypo", "iso", "hyper")


def draw_density_ratio(rng: np.random.Generator, config: SynthesisConfig) -> float:
    """``r`` of a hypo-, iso- or hyper-dense tumour, the kind drawn with ``density_weights``."""
    weights = np.asarray(config.density_weights, dtype=np.float64)
    kind = int(rng.choice(len(DENSITIES), p=weights / weights.sum()))
    ranges = (config.intensity_ratio_range, config.iso_ratio_range, config.hyper_ratio_range)
    return float(rng.uniform(*ranges[kind]))


def _compose(
    normal: np.ndarray,
    other: np.ndarray,
    roi: np.ndarray,
    params: TumourParams,
    shapes: list[PlacedShape],
) -> TumourSample:
    grid = tuple(params.grid_shape)
    for name, array in (("normal", normal), ("other", other), ("roi", roi)):
        if tuple(array.shape) != grid:
            raise MedsslError(f"{name} must have shape {grid} (the ROI's); got {array.shape}")
    if not shapes:
        raise MedsslError("the parameters hold no tumour on this grid; nothing to compose")
    normal = np.asarray(normal, dtype=np.float32)
    sp = np.asarray(params.spacing, dtype=np.float64)
    edge = params.edge_sigma_mm / sp
    margin = (
        np.ceil(BLUR_TRUNCATE * edge).astype(int) if params.edge_sigma_mm > 0 else np.zeros(3, int)
    )
    box, mask = _union(shapes, roi, margin)
    roi_box = roi[box]

    floor = params.texture.intensity_floor
    tau = apply_texture(
        other,
        mask,
        shift_box(box, params.texture.source_shift, grid),
        params.texture,
        spacing=params.spacing,
        organ_mean=float(normal[roi].mean()),
        organ_floor=float(normal.min()) if floor is None else floor,
        other_floor=float(np.min(other)) if floor is None else floor,
    )
    if params.edge_sigma_mm > 0:
        soft = ndimage.gaussian_filter(mask.astype(np.float32), edge, truncate=BLUR_TRUNCATE)
        weight = np.float32(params.alpha) * np.clip(soft, 0.0, 1.0) * roi_box
    else:
        weight = np.float32(params.alpha) * mask

    image = normal.copy()
    base = normal[box]
    image[box] = base + weight * (tau - base)
    texture = np.zeros(grid, dtype=np.float32)
    texture[box] = np.where(mask, tau, np.float32(0))
    full_mask = np.zeros(grid, dtype=np.uint8)
    full_mask[box] = mask
    blend = np.zeros(grid, dtype=np.float32)
    blend[box] = weight
    return TumourSample(
        image=image,
        normal=normal,
        texture=texture,
        mask=full_mask,
        alpha=params.alpha,
        blend=blend,
        params=params,
    )


def _union(
    shapes: list[PlacedShape], roi: np.ndarray, margin: np.ndarray
) -> tuple[tuple[slice, slice, slice], np.ndarray]:
    """Box around all shapes (grown by ``margin``) and their union mask cut to ``roi``."""
    grid = roi.shape
    lo = np.min([[s.start for s in shape.box] for shape in shapes], axis=0) - margin
    hi = np.max([[s.stop for s in shape.box] for shape in shapes], axis=0) + margin
    box = tuple(slice(int(max(a, 0)), int(min(b, n))) for a, b, n in zip(lo, hi, grid))
    mask = np.zeros(tuple(b.stop - b.start for b in box), dtype=bool)
    for shape in shapes:
        local = tuple(slice(s.start - b.start, s.stop - b.start) for s, b in zip(shape.box, box))
        mask[local] |= shape.mask
    mask &= roi[box]
    return box, mask


def _check_roi(roi: np.ndarray) -> np.ndarray:
    roi = np.asarray(roi)
    if roi.ndim != 3:
        raise MedsslError(f"roi must be a 3D array; got shape {roi.shape}")
    return roi if roi.dtype == bool else roi != 0


def _check_spacing(spacing: Spacing) -> Spacing:
    values = tuple(float(s) for s in np.asarray(spacing, dtype=np.float64).ravel())
    if len(values) != 3 or min(values) <= 0:
        raise MedsslError(f"spacing must be 3 positive values in mm; got {spacing}")
    return values  # type: ignore[return-value]

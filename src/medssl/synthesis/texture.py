"""Tumour texture borrowed from another normal image: ``τ = LT(GB(ED(x_nj)))``.

Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition": the
texture pasted into ``x_ni`` is a different normal image ``x_nj`` after an elastic
deformation (ED), a Gaussian blur (GB) and a linear intensity transform (LT)

    LT(y) = r · Mean(x_ni) / Mean(y) · y,

with ``r`` drawn from a range: above 1 for hyper-intense tumours (brain FLAIR), below 1
for hypo-dense ones (liver CT). As in the public code of the paper, ``Mean(x_ni)`` is
taken over the organ (the ROI) and ``Mean(y)`` over the tumour mask, so the tumour's
mean is exactly ``r`` times the organ's mean.

Means are only meaningful on a positive scale, which a z-scored image is not. Each
image is therefore measured from its own ``floor``, the value of "no signal":

    LT(y) = f_i + r · Mean(x_ni - f_i) / Mean(y - f_j) · (y - f_j),

with ``y - f_j`` clipped at 0. This is the paper's formula applied to the raw signal
and written back on ``x_ni``'s scale: for a z-scored MRI, ``raw / std = z - f`` where
``f`` is the z-score of zero signal (the constant background of a z-scored scan, or
its minimum). A floor of 0 for both gives the paper's formula unchanged.

The texture is read from ``x_nj`` around a random voxel of its organ (``source_shift``
moves the tumours' box there), so that it is organ texture and not background.

Each of ED, GB and LT has its own switch (for the paper's ablation); the random
values of all three are always drawn, so switching one off changes nothing else.
Work is restricted to the tumours' bounding box plus the margins ED and GB need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

BLUR_TRUNCATE = 3.0


@dataclass(frozen=True)
class TextureParams:
    """Drawn and fixed values of the texture transform.

    Attributes:
        elastic: Apply the elastic deformation.
        blur: Apply the Gaussian blur.
        intensity: Apply the linear intensity transform.
        displacement_mm: Control-point displacements, shape (3, c, c, c), spread
            evenly over the tumour box (corners included) and interpolated linearly.
        blur_sigma_mm: Standard deviation of the blur, in mm.
        intensity_ratio: ``r``, the tumour mean over the organ mean.
        intensity_floor: Intensity LT measures as zero in both images; None: each
            image's own minimum (see the module docstring).
        source_shift: Voxel shift from the tumours' box to where the texture is read
            in ``x_nj`` (clamped to the grid when applied).
    """

    elastic: bool
    blur: bool
    intensity: bool
    displacement_mm: np.ndarray
    blur_sigma_mm: float
    intensity_ratio: float
    intensity_floor: float | None
    source_shift: tuple[int, int, int] = (0, 0, 0)


def sample_texture(
    rng: np.random.Generator,
    *,
    elastic: bool,
    blur: bool,
    intensity: bool,
    control_points: int,
    max_displacement_mm: float,
    blur_sigma_mm_range: tuple[float, float],
    intensity_ratio_range: tuple[float, float],
    intensity_floor: float | None,
) -> TextureParams:
    """Draw displacements (uniform in ±max), blur sigma and ``r`` (both uniform)."""
    c = int(control_points)
    displacement = rng.uniform(-max_displacement_mm, max_displacement_mm, size=(3, c, c, c))
    return TextureParams(
        elastic=bool(elastic),
        blur=bool(blur),
        intensity=bool(intensity),
        displacement_mm=displacement.astype(np.float32),
        blur_sigma_mm=float(rng.uniform(*blur_sigma_mm_range)),
        intensity_ratio=float(rng.uniform(*intensity_ratio_range)),
        intensity_floor=None if intensity_floor is None else float(intensity_floor),
    )


def sample_source_shift(
    rng: np.random.Generator,
    mask: np.ndarray,
    box: tuple[slice, slice, slice],
    source_roi: np.ndarray,
    *,
    tries: int,
) -> tuple[int, int, int]:
    """Shift of ``box`` onto a random voxel of ``source_roi`` covering most of ``mask``.

    Up to ``tries`` voxels are drawn; the first shift that puts 95% of the mask inside
    ``source_roi`` is kept, else the best one. An empty ``source_roi`` gives no shift.
    """
    index = np.flatnonzero(source_roi)
    if index.size == 0 or not mask.any():
        return (0, 0, 0)
    centre = np.array([(b.start + b.stop) // 2 for b in box])
    best, best_fraction = (0, 0, 0), -1.0
    for _ in range(max(int(tries), 1)):
        voxel = np.array(np.unravel_index(index[rng.integers(index.size)], source_roi.shape))
        shift = tuple(int(v) for v in voxel - centre)
        moved = shift_box(box, shift, source_roi.shape)
        fraction = np.count_nonzero(source_roi[moved] & mask) / np.count_nonzero(mask)
        if fraction > best_fraction:
            best, best_fraction = shift, fraction
        if fraction >= 0.95:
            break
    return best


def shift_box(
    box: tuple[slice, ...], shift: tuple[int, ...], shape: tuple[int, ...]
) -> tuple[slice, slice, slice]:
    """``box`` moved by ``shift`` voxels, with the shift clamped to keep it in ``shape``."""
    moved = []
    for b, d, n in zip(box, shift, shape):
        d = int(np.clip(d, -b.start, n - b.stop))
        moved.append(slice(b.start + d, b.stop + d))
    return tuple(moved)


def apply_texture(
    other: np.ndarray,
    mask: np.ndarray,
    box: tuple[slice, slice, slice],
    params: TextureParams,
    *,
    spacing: tuple[float, float, float],
    organ_mean: float,
    organ_floor: float,
    other_floor: float,
) -> np.ndarray:
    """Transformed other image ``τ(x_nj)`` on the voxels of ``box``.

    Args:
        other: The other normal image ``x_nj``, same grid as the normal image.
        mask: Tumour mask on ``box`` (boolean, the box's shape); LT takes its mean
            over it.
        box: Voxel slices of the tumours' bounding box.
        params: Texture parameters.
        spacing: Voxel size in mm.
        organ_mean: ``Mean(x_ni)`` over the ROI of the normal image.
        organ_floor: ``f_i``, the "no signal" value of the normal image.
        other_floor: ``f_j``, the "no signal" value of ``other``.

    Returns:
        float32 texture on ``box``, not yet multiplied by the mask (soft mask edges
        blend a little of it outside the mask).
    """
    sp = np.asarray(spacing, dtype=np.float64)
    sigma_vox = params.blur_sigma_mm / sp
    blur_margin = (
        np.ceil(BLUR_TRUNCATE * sigma_vox).astype(int) if params.blur else np.zeros(3, int)
    )
    region = _grow(box, blur_margin, other.shape)
    if params.elastic:
        values = _deformed(other, region, params.displacement_mm, sp)
    else:
        values = other[region].astype(np.float32)
    if params.blur and params.blur_sigma_mm > 0:
        values = ndimage.gaussian_filter(values, sigma_vox, mode="nearest", truncate=BLUR_TRUNCATE)
    inner = tuple(slice(b.start - r.start, b.stop - r.start) for b, r in zip(box, region))
    values = values[inner]
    if params.intensity:
        values = linear_intensity(
            values,
            mask,
            params.intensity_ratio,
            organ_mean=organ_mean,
            organ_floor=organ_floor,
            texture_floor=other_floor,
        )
    return values.astype(np.float32, copy=False)


def linear_intensity(
    values: np.ndarray,
    mask: np.ndarray,
    ratio: float,
    *,
    organ_mean: float,
    organ_floor: float = 0.0,
    texture_floor: float = 0.0,
) -> np.ndarray:
    """LT: rescale ``values`` so their mean over ``mask`` is ``ratio`` times the organ mean.

    Both means are measured from their image's floor. A texture that is at its floor
    everywhere in the mask becomes flat at ``f_i + r · (organ_mean - f_i)``.
    """
    shifted = np.maximum(values - np.float32(texture_floor), np.float32(0))
    target = ratio * (organ_mean - organ_floor)
    source = float(shifted[mask].mean()) if mask.any() else 0.0
    if source <= 1e-6 * max(abs(target), 1e-12):
        return np.full_like(values, np.float32(organ_floor + target))
    return np.float32(organ_floor) + np.float32(target / source) * shifted


def _grow(
    box: tuple[slice, ...], margin: np.ndarray, shape: tuple[int, ...]
) -> tuple[slice, slice, slice]:
    """``box`` grown by ``margin`` voxels on each side, clipped to ``shape``."""
    return tuple(
        slice(max(0, b.start - int(m)), min(n, b.stop + int(m)))
        for b, m, n in zip(box, margin, shape)
    )


def _upsample_linear(coarse: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Linear interpolation of a (C, c, c, c) control grid to (C, *shape), corners aligned."""
    out = coarse
    for axis, n in enumerate(shape):
        c = out.shape[axis + 1]
        pos = np.linspace(0.0, c - 1.0, n) if n > 1 else np.zeros(1)
        lo = np.minimum(np.floor(pos).astype(int), c - 2)
        frac = (pos - lo).astype(np.float32)
        weights = np.zeros((n, c), dtype=np.float32)
        weights[np.arange(n), lo] = 1.0 - frac
        weights[np.arange(n), lo + 1] = frac
        out = np.moveaxis(np.tensordot(out, weights, axes=([axis + 1], [1])), -1, axis + 1)
    return out


def _deformed(
    image: np.ndarray,
    region: tuple[slice, slice, slice],
    displacement_mm: np.ndarray,
    sp: np.ndarray,
) -> np.ndarray:
    """``image(p + u(p))`` for the voxels ``p`` of ``region``, trilinear, float32."""
    size = tuple(r.stop - r.start for r in region)
    field = _upsample_linear(displacement_mm, size) / sp.astype(np.float32)[:, None, None, None]
    reach = np.ceil(np.abs(displacement_mm).max() / sp).astype(int) + 1
    source = _grow(region, reach, image.shape)
    patch = image[source].astype(np.float32, copy=False)
    coords = []
    for axis in range(3):
        base = np.arange(region[axis].start - source[axis].start, region[axis].stop - source[axis].start,
                         dtype=np.float32)  # fmt: skip
        shape = [1, 1, 1]
        shape[axis] = -1
        coords.append(field[axis] + base.reshape(shape))
    return trilinear(patch, coords)


def trilinear(volume: np.ndarray, coords: list[np.ndarray]) -> np.ndarray:
    """Sample ``volume`` at fractional voxel positions (clamped to its edge).

    Args:
        volume: 3D float32 array.
        coords: Three arrays of the same shape with positions along each axis.

    Returns:
        Sampled values, the shape of the coordinate arrays.
    """
    flat = np.ascontiguousarray(volume, dtype=np.float32).ravel()
    strides = (volume.shape[1] * volume.shape[2], volume.shape[2], 1)
    base: np.ndarray | None = None
    fracs, steps = [], []
    for axis, q in enumerate(coords):
        n = volume.shape[axis]
        q = np.clip(q, np.float32(0), np.float32(n - 1))
        lo = np.minimum(q.astype(np.intp), max(n - 2, 0))
        fracs.append(q - lo)
        base = lo * strides[axis] if base is None else base + lo * strides[axis]
        steps.append(strides[axis] if n > 1 else 0)
    fx, fy, fz = fracs
    # Gathering from shifted views of the flat array reuses one index array.
    out: np.ndarray | None = None
    for dx in (0, 1):
        plane: np.ndarray | None = None
        for dy in (0, 1):
            offset = dx * steps[0] + dy * steps[1]
            line = flat[offset:].take(base)
            upper = flat[offset + steps[2] :].take(base)
            upper -= line
            upper *= fz
            line += upper
            if plane is None:
                plane = line
            else:
                line -= plane
                line *= fy
                plane += line
        if out is None:
            out = plane
        else:
            plane -= out
            plane *= fx
            out += plane
    return out

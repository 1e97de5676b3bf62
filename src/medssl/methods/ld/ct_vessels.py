"""Enhanced vessels painted into a normal organ: the look of a contrast-enhanced liver.

An unenhanced liver shows almost no vessels: blood and parenchyma are within a few HU.
After contrast, the portal and hepatic veins stand out as bright branching tubes, tens of
HU above the parenchyma. A model that has only seen an unenhanced liver, moved to a
portal-venous median by :func:`medssl.methods.ld.ct_randomise.contrast_phase`, has never
seen those tubes as normal, and marks them. This part of the CT randomisation draws a
vessel-like pattern inside the organ and adds it to the *normal* volume, before any tumour
is pasted, so the tubes belong to the normal layer.

The pattern: ``count`` random walks start at voxels of the organ, each ``length_mm`` long
in 1 mm steps whose direction turns a little at every step (persistence 0.9); each walk
has its own radius. The tubes are drawn by their distance to the walk, with a 1 mm soft
edge, and kept inside the organ. Their brightness is a fraction ``e`` of the organ's
enhancement over unenhanced blood (the organ median minus ``blood_hu``): about nothing
on an unenhanced scan, tens of HU on a portal-venous one.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Unenhanced blood and liver are about 40-55 HU; vessels stand out in proportion to
#: how far contrast has lifted the organ above this.
BLOOD_HU = 40.0


def vessel_walks(
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    rng: np.random.Generator,
    *,
    count: int,
    length_mm_range: tuple[float, float] = (20.0, 80.0),
    persistence: float = 0.9,
) -> list[np.ndarray]:
    """Random walks through the organ, in voxel coordinates (one (n, 3) array each)."""
    index = np.flatnonzero(roi)
    if index.size == 0:
        return []
    sp = np.asarray(spacing, dtype=np.float64)
    walks = []
    for _ in range(int(count)):
        point = np.array(np.unravel_index(index[rng.integers(index.size)], roi.shape), float)
        direction = rng.standard_normal(3)
        steps = max(int(rng.uniform(*length_mm_range)), 1)
        points = [point.copy()]
        for _ in range(steps):
            turn = rng.standard_normal(3)
            direction = persistence * direction / np.linalg.norm(direction) + (
                1.0 - persistence
            ) * turn / max(np.linalg.norm(turn), 1e-8)
            point = point + direction / np.linalg.norm(direction) / sp  # 1 mm in voxels
            points.append(point.copy())
        walks.append(np.asarray(points))
    return walks


def tube_profile(
    shape: tuple[int, ...],
    walks: list[np.ndarray],
    radii_mm: list[float],
    spacing: tuple[float, float, float],
) -> np.ndarray:
    """1 inside the tubes, 0 outside, with a 1 mm linear edge; walks grouped by radius.

    Shape:
        Returns ``shape``, float32.
    """
    profile = np.zeros(shape, dtype=np.float32)
    bins = np.round(np.asarray(radii_mm, dtype=np.float64) * 2.0) / 2.0  # 0.5 mm classes
    for radius in np.unique(bins):
        centre = np.ones(shape, dtype=bool)
        for walk, r in zip(walks, bins):
            if r != radius:
                continue
            voxels = np.round(walk).astype(int)
            voxels = voxels[np.all((voxels >= 0) & (voxels < np.asarray(shape)), axis=1)]
            centre[tuple(voxels.T)] = False
        if centre.all():
            continue
        distance = ndimage.distance_transform_edt(centre, sampling=spacing)
        profile = np.maximum(profile, np.clip(radius + 0.5 - distance, 0.0, 1.0))
    return profile.astype(np.float32)


def paint_vessels(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    rng: np.random.Generator,
    *,
    count_range: tuple[int, int],
    radius_mm_range: tuple[float, float],
    enhancement_range: tuple[float, float],
) -> tuple[np.ndarray, dict[str, float]]:
    """``image`` with enhanced vessels inside ``roi``, and the values drawn (see the module).

    Shape:
        ``image``, ``roi``: (X, Y, Z); the result is the same shape, float32.
    """
    inside = np.asarray(roi, dtype=bool)
    count = int(rng.integers(count_range[0], count_range[1] + 1))
    fraction = float(rng.uniform(*enhancement_range))
    walks = vessel_walks(inside, spacing, rng, count=count)
    low, high = radius_mm_range
    radii = [float(np.exp(rng.uniform(np.log(low), np.log(high)))) for _ in walks]
    median = float(np.median(image[inside])) if inside.any() else BLOOD_HU
    delta = fraction * max(median - BLOOD_HU, 0.0)
    if not walks or delta == 0.0:
        return np.asarray(image, dtype=np.float32), {"count": count, "delta_hu": 0.0}
    box = ndimage.find_objects(inside.astype(np.uint8))[0]
    local = [w - np.array([b.start for b in box]) for w in walks]
    shape = tuple(b.stop - b.start for b in box)
    tubes = tube_profile(shape, local, radii, spacing) * inside[box]
    out = np.array(image, dtype=np.float32)
    out[box] += np.float32(delta) * tubes
    return out, {"count": count, "delta_hu": delta}

"""Vectorised 3D simplex noise and its fractal (octave) sum.

The tumour shapes of Zhang et al., "Self-supervised Tumor Segmentation through Layer
Decomposition", are spheres whose vertices are pushed along their normals by 3D
simplex noise (Perlin, 2001; the formulation of Gustavson, "Simplex noise demystified",
2005). This module evaluates that noise for many points at once with numpy.

The permutation table is a fixed constant, so the noise is a pure function of the
input coordinates: randomness enters only through the offset added to the points by
the caller.
"""

from __future__ import annotations

import numpy as np

from medssl.errors import MedsslError

_F3 = 1.0 / 3.0
_G3 = 1.0 / 6.0
# Kernel radius² 0.5 makes each corner's contribution vanish (with its derivative)
# before the next simplex starts, so the field is continuous everywhere.
_RADIUS2 = 0.5
# Rescales the raw sum to about [-1, 1] (measured maximum ≈ 0.99 over 10⁷ points).
_SCALE = 76.0

_GRADIENTS = np.array(
    [
        [1, 1, 0], [-1, 1, 0], [1, -1, 0], [-1, -1, 0],
        [1, 0, 1], [-1, 0, 1], [1, 0, -1], [-1, 0, -1],
        [0, 1, 1], [0, -1, 1], [0, 1, -1], [0, -1, -1],
    ],
    dtype=np.float64,
)  # fmt: skip
_PERM = np.tile(np.random.default_rng(20240501).permutation(256), 2).astype(np.int64)


def simplex3(points: np.ndarray) -> np.ndarray:
    """Single-octave 3D simplex noise.

    Args:
        points: Coordinates, any leading shape, last axis of size 3.

    Returns:
        Noise values in about [-1, 1], shape ``points.shape[:-1]``; smooth (C¹) in
        the coordinates and deterministic.

    Raises:
        MedsslError: If the last axis is not of size 3.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 0 or points.shape[-1] != 3:
        raise MedsslError(f"points must have a last axis of size 3; got shape {points.shape}")
    lead = points.shape[:-1]
    x, y, z = (points.reshape(-1, 3)[:, a] for a in range(3))

    skew = (x + y + z) * _F3
    i, j, k = np.floor(x + skew), np.floor(y + skew), np.floor(z + skew)
    unskew = (i + j + k) * _G3
    x0, y0, z0 = x - (i - unskew), y - (j - unskew), z - (k - unskew)

    # Which of the six tetrahedra of the skewed cube holds the point.
    i1 = (x0 >= y0) & (x0 >= z0)
    j1 = (y0 > x0) & (y0 >= z0)
    k1 = ~(i1 | j1)
    i2 = (x0 >= y0) | (x0 >= z0)
    j2 = (y0 > x0) | (y0 >= z0)
    k2 = ~((x0 >= z0) & (y0 >= z0))

    ii, jj, kk = (i.astype(np.int64) & 255, j.astype(np.int64) & 255, k.astype(np.int64) & 255)
    corners = (
        (0, 0, 0),
        (i1, j1, k1),
        (i2, j2, k2),
        (1, 1, 1),
    )
    total = np.zeros_like(x)
    for n, (ci, cj, ck) in enumerate(corners):
        dx = x0 - ci + n * _G3
        dy = y0 - cj + n * _G3
        dz = z0 - ck + n * _G3
        t = _RADIUS2 - dx * dx - dy * dy - dz * dz
        gi = _PERM[ii + ci + _PERM[jj + cj + _PERM[kk + ck]]] % 12
        g = _GRADIENTS[gi]
        dot = g[:, 0] * dx + g[:, 1] * dy + g[:, 2] * dz
        t = np.maximum(t, 0.0)
        t2 = t * t
        total += t2 * t2 * dot
    return (_SCALE * total).reshape(lead)


def fractal_simplex3(
    points: np.ndarray,
    *,
    octaves: int,
    persistence: float = 0.5,
    lacunarity: float = 2.0,
) -> np.ndarray:
    """Octave sum of simplex noise, normalised by the total amplitude.

    Octave ``o`` is sampled at frequency ``lacunarity**o`` with amplitude
    ``persistence**o``; the sum is divided by the sum of the amplitudes, so the result
    stays in about [-1, 1] for any number of octaves.

    Args:
        points: Coordinates, any leading shape, last axis of size 3.
        octaves: Number of octaves, at least 1.
        persistence: Amplitude factor from one octave to the next.
        lacunarity: Frequency factor from one octave to the next.

    Returns:
        Noise values, shape ``points.shape[:-1]``.

    Raises:
        MedsslError: If ``octaves`` < 1 or the points are not 3D.
    """
    if int(octaves) < 1:
        raise MedsslError(f"octaves must be at least 1; got {octaves}")
    points = np.asarray(points, dtype=np.float64)
    total = np.zeros(points.shape[:-1])
    amplitude, frequency, norm = 1.0, 1.0, 0.0
    for _ in range(int(octaves)):
        total += amplitude * simplex3(points * frequency)
        norm += amplitude
        amplitude *= persistence
        frequency *= lacunarity
    return total / norm

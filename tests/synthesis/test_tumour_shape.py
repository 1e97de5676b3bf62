"""Icosphere, random shapes and their rasterisation."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.synthesis import icosphere
from medssl.synthesis.raster import bounding_box, rasterise_box
from medssl.synthesis.shape import rotation_matrix, sample_shape, shape_frame


def _shape(rng, *, volume=30_000.0, ratio=(0.8, 1.0), amplitude=0.5, centre=(40.0, 40.0, 40.0)):
    return sample_shape(
        rng,
        centre_mm=np.array(centre),
        volume_mm3=volume,
        axis_ratio_range=ratio,
        octaves_range=(4, 7),
        noise_amplitude=amplitude,
        noise_frequency=1.0,
        subdivisions=3,
    )


def _raster(params, shape=(80, 80, 80), spacing=(1.0, 1.0, 1.0)):
    frame = shape_frame(params)
    box = bounding_box(frame, params.centre_mm, shape, spacing)
    mask = rasterise_box(frame, params.centre_mm, box, spacing, subdivisions=params.subdivisions)
    return box, mask


@pytest.mark.parametrize(
    ("level", "vertices", "faces"), [(0, 12, 20), (3, 642, 1280), (4, 2562, 5120)]
)
def test_icosphere_counts_and_unit_norm(level, vertices, faces):
    sphere = icosphere(level)
    assert sphere.vertices.shape == (vertices, 3)
    assert sphere.faces.shape == (faces, 3)
    np.testing.assert_allclose(np.linalg.norm(sphere.vertices, axis=1), 1.0)
    assert icosphere(level) is sphere


def test_icosphere_bad_level():
    with pytest.raises(MedsslError, match="subdivisions must be in 0-6"):
        icosphere(9)


def test_rotation_is_orthonormal(rng):
    q = rng.normal(size=4)
    r = rotation_matrix(tuple(q))
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rasterised_volume_matches(seed):
    params = _shape(np.random.default_rng(seed), volume=30_000.0)
    _, mask = _raster(params)
    assert mask.sum() == pytest.approx(30_000.0, rel=0.03)
    # The box holds the whole shape: its faces are empty.
    for axis in range(3):
        assert not mask.take(0, axis=axis).any() and not mask.take(-1, axis=axis).any()


def test_anisotropic_spacing_volume():
    params = _shape(np.random.default_rng(3), volume=30_000.0)
    _, mask = _raster(params, shape=(80, 40, 27), spacing=(1.0, 2.0, 3.0))
    assert mask.sum() * 6.0 == pytest.approx(30_000.0, rel=0.06)


def test_axis_ratio_elongates():
    def elongation(ratio):
        params = _shape(np.random.default_rng(4), ratio=(ratio, ratio), amplitude=0.0)
        _, mask = _raster(params)
        eigen = np.linalg.eigvalsh(np.cov(np.argwhere(mask).T))
        return np.sqrt(eigen.min() / eigen.max())

    assert elongation(1.0) == pytest.approx(1.0, abs=0.03)
    # Semi-axes ∝ (q, 1, 1/q): shortest/longest is q².
    assert elongation(0.7) == pytest.approx(0.49, abs=0.03)


def test_noise_makes_it_irregular():
    def full(amplitude):
        box, mask = _raster(_shape(np.random.default_rng(5), amplitude=amplitude, ratio=(1, 1)))
        out = np.zeros((80, 80, 80), dtype=bool)
        out[box] = mask
        return out

    smooth, bumpy = full(0.0), full(0.5)
    assert smooth.sum() == pytest.approx(bumpy.sum(), rel=0.03)
    assert (smooth != bumpy).sum() > 0.1 * smooth.sum()

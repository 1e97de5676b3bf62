"""Fixtures for preprocessing tests: tiny volumes in every orientation."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.io import Geometry, Image


def oblique_affine() -> np.ndarray:
    """Rotated about two axes, anisotropic, with an offset origin."""
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ np.array(
        [[1, 0, 0], [0, np.cos(0.2), -np.sin(0.2)], [0, np.sin(0.2), np.cos(0.2)]]
    )
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([0.8, 1.1, 2.5])
    affine[:3, 3] = [-30.5, 12.25, 7.0]
    return affine


AFFINES = {
    "RAS": np.diag([1.0, 1.2, 2.0, 1.0]),
    "LAS": np.diag([-1.0, 1.2, 2.0, 1.0]),
    "LPS": np.diag([-1.0, -1.2, 2.0, 1.0]),
    "oblique": oblique_affine(),
}


@pytest.fixture(params=list(AFFINES))
def oriented(request, blob) -> tuple[Image, Image]:
    """(image, label) of the blob volume in RAS, LAS, LPS and an oblique grid."""
    image, label = blob
    affine = AFFINES[request.param].copy()
    affine[:3, 3] += [10.0, -5.0, 3.0]
    geometry = Geometry(image.shape, affine, f"{request.param}.nii.gz")
    return Image(image, geometry), Image(label, geometry)


@pytest.fixture
def ras_case(blob) -> tuple[Image, Image]:
    """(image, label) of the blob volume in a plain 1 mm RAS grid."""
    image, label = blob
    geometry = Geometry(image.shape, np.eye(4), "ras.nii.gz")
    return Image(image, geometry), Image(label, geometry)

"""A small synthetic CT with two organs, for the context label-transfer tests."""

import numpy as np

from medssl.io import Geometry, Image


def ct_phantom(shape=(30, 28, 26), spacing=2.0, shift=0, seed=0):
    """Air around a soft-tissue body holding a bright organ (1) and a dark one (2)."""
    r = np.random.default_rng(seed)
    g = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij"))
    c = np.array(shape, float)[:, None, None, None] / 2
    body = (((g - c) / (np.array(shape)[:, None, None, None] * 0.45)) ** 2).sum(0) < 1
    organ1 = (((g - c - np.array([[[[-5 + shift]]], [[[0]]], [[[0]]]])) / 4.0) ** 2).sum(0) < 1
    organ2 = (((g - c - np.array([[[[6 + shift]]], [[[2]]], [[[0]]]])) / 3.5) ** 2).sum(0) < 1
    hu = np.where(body, 40.0, -1000.0) + r.normal(0, 5, shape)
    hu[organ1], hu[organ2] = 200.0, -80.0
    label = np.zeros(shape, np.uint8)
    label[organ1], label[organ2] = 1, 2
    affine = np.diag([spacing, spacing, spacing, 1.0])
    geom = Geometry(shape=shape, affine=affine, source=f"phantom{seed}.nii.gz")
    lab_geom = Geometry(shape=shape, affine=affine, source=f"phantom{seed}_label.nii.gz")
    return Image(hu.astype(np.float32), geom), Image(label, lab_geom)


def textured_body(shape=(40, 36, 96), seed=0):
    """A windowed-CT-like volume: a body cylinder along z with smooth random texture."""
    from scipy import ndimage

    r = np.random.default_rng(seed)
    texture = ndimage.gaussian_filter(r.normal(size=shape), 3.0)
    texture = (texture - texture.min()) / np.ptp(texture)
    x, y = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape[:2]], indexing="ij")
    body = (x**2 + y**2 < 0.9)[..., None]
    return np.where(body, 0.2 + 0.8 * texture, 0.0).astype(np.float32)

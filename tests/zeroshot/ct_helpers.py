"""Tiny synthetic abdominal CTs: air, a body, a 'liver' (value 5) and a 'spleen' (value 1)
with a hypo-dense blob inside the liver."""

from __future__ import annotations

import numpy as np

SHAPE = (32, 28, 24)


def abdomen(shape=SHAPE, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CT in HU, organ map: 5 liver / 1 spleen, the tumour) of one synthetic abdomen."""
    r = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))

    def ball(centre, radii):
        c = np.asarray(centre)[:, None, None, None]
        return (((grid - c) / np.asarray(radii)[:, None, None, None]) ** 2).sum(0) < 1

    body = ball((0, 0, 0), (0.95, 0.9, 1.5))
    liver = ball((-0.35, 0.0, 0.0), (0.45, 0.55, 0.8)) & body
    spleen = ball((0.5, 0.1, 0.0), (0.2, 0.25, 0.5)) & body
    tumour = ball((-0.35, 0.05, 0.0), (0.22, 0.25, 0.4)) & liver
    from scipy import ndimage

    texture = ndimage.gaussian_filter(r.normal(0, 1, shape), 1.0)
    texture *= 10.0 / texture.std()  # parenchyma texture correlated over a few voxels
    image = np.full(shape, -1000.0) + r.normal(0, 10, shape)
    image = np.where(body, 20.0 + r.normal(0, 8, shape), image)
    image = np.where(liver, 100.0 + texture + r.normal(0, 4, shape), image)
    image = np.where(spleen, 110.0 + r.normal(0, 8, shape), image)
    image = np.where(tumour, 45.0 + texture + r.normal(0, 4, shape), image)
    organs = np.where(liver, 5, np.where(spleen, 1, 0)).astype(np.uint8)
    return image.astype(np.float32), organs, tumour

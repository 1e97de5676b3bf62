"""Affine alignment on the context grid: a slab is found in the volume it was cut from."""

import numpy as np
from context_phantom import textured_body

from medssl.methods.context.align import align_affine


def test_a_slab_maps_onto_where_it_was_cut():
    volume = textured_body()
    slab = volume[:, :, 50:80]
    to = align_affine(slab, volume)
    points = np.array([[5, 5, 2], [30, 20, 15], [20, 30, 27]], float)
    mapped = points @ to[:3, :3].T + to[:3, 3]
    np.testing.assert_allclose(mapped, points + [0, 0, 50], atol=2.0)
    back = align_affine(volume, slab)  # the long scan onto the slab: the inverse shift
    np.testing.assert_allclose(back[:3, 3] + back[:3, :3] @ [20, 18, 60], [20, 18, 10], atol=2.0)

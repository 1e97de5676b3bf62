"""Paired organs voted from both sides of a support (Vote.mirror_pairs)."""

import numpy as np
from context_phantom import ct_phantom

from medssl.io import Image
from medssl.methods.context.describers import load_describer
from medssl.methods.context.mirror import label_pairs, mirrored_label, mirrored_map
from medssl.methods.context.transfer import LabelTransfer, Vote


def kidneys(low_right=0):
    """Bright twin organs left (1) and right (2) of the midline; the right one moved
    ``low_right`` voxels along z."""
    image, _ = ct_phantom()
    hu, label = image.array.copy(), np.zeros(image.array.shape, np.uint8)
    label[5:12, 10:18, 9:17] = 1
    label[18:25, 10:18, 9 - low_right : 17 - low_right] = 2
    hu[label > 0] = 200.0
    return Image(hu, image.geometry), Image(label, image.geometry)


def test_pairs_are_mirror_images_of_similar_volume_on_opposite_sides():
    label = np.zeros((30, 20, 20), np.uint8)
    label[5:12, 5:10, 2:8] = 1  # left
    label[18:25, 5:10, 12:18] = 2  # right, mirrored in x, lower in z
    label[1:13, 10:20, 0:20] = 3  # large organ, left: never a pair (volume)
    label[16:20, 12:14, 0:3] = 4  # small, right, not mirrored to anything
    assert label_pairs(label) == [(1, 2)]
    assert label_pairs(label, values=[1, 3, 4]) == []
    same_side = np.zeros_like(label)
    same_side[2:8, 5:10, 2:8], same_side[8:14, 5:10, 2:8] = 1, 2
    assert label_pairs(same_side) == []


def test_the_mirrored_label_is_flipped_with_each_pair_swapped_and_the_rest_dropped():
    label = np.zeros((6, 2, 2), np.uint8)
    label[0], label[5], label[2] = 1, 2, 3
    out = mirrored_label(label, [(1, 2)])
    assert (out[5] == 2).all() and (out[0] == 1).all() and not out[1:5].any()


def test_the_mirrored_map_reflects_into_the_reference_box():
    np.testing.assert_allclose(mirrored_map((9, 4, 4), None, (9, 4, 4)), np.eye(4))
    shift = np.eye(4)
    shift[0, 3] = 2.0  # the scan's voxel i is the reference's i + 2
    m = mirrored_map((9, 4, 4), shift, (13, 4, 4))
    # flipped voxel 0 = scan voxel 8 = reference voxel 10, mirrored in 13: voxel 2
    np.testing.assert_allclose(m @ [0, 1, 1, 1], [2, 1, 1, 1])


def test_the_mirrored_twin_joins_the_database_where_the_other_one_sits():
    support, label = kidneys(low_right=7)
    entries = {}
    for mirror in (False, True):
        vote = Vote(position="xyz", balanced=False, mirror_pairs=mirror)
        t = LabelTransfer(load_describer("gvdiff"), k=1, vote=vote)
        t.add_support(support, label)
        _, classes, where = t._database()
        entries[mirror] = (classes, where / vote.position_weight)
    classes, where = entries[False]
    mirrored, mwhere = entries[True]
    assert len(mirrored) > len(classes)  # only paired blocks are added
    assert np.bincount(mirrored)[0] == np.bincount(classes)[0]
    left, right = where[classes == 1].mean(0), where[classes == 2].mean(0)
    added = mwhere[len(classes) :]
    added_right = added[mirrored[len(classes) :] == 2].mean(0)
    assert added_right[0] > 0.2 and abs(added_right[0] + left[0]) < 0.15  # mirrored in x
    assert abs(added_right[2] - left[2]) < 0.05 and right[2] < left[2] - 0.3  # left's height

"""k-NN label transfer on small synthetic CT: geometry, votes, upsampling, bad input."""

import numpy as np
import pytest
from context_phantom import ct_phantom, textured_body

from medssl.errors import MedsslError
from medssl.io import Geometry, Image
from medssl.methods.context.blocks import (
    block_fractions,
    body_box_position,
    largest_pieces,
    upsample_votes,
)
from medssl.methods.context.describers import load_describer
from medssl.methods.context.transfer import LabelTransfer, Vote, transfer_labels


def dice(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def test_block_fractions_and_upsampling_round_trip():
    classes = np.zeros((9, 8, 8), np.int64)
    classes[:4, :4, :4] = 1
    f = block_fractions(classes, 2)
    assert f.shape == (3, 2, 2, 2) and f[0, 0, 0, 1] == 1.0 and f[2, 0, 0, 0] == 1.0
    near = upsample_votes(f, (9, 8, 8), mode="nearest")
    np.testing.assert_array_equal(near, classes)
    assert upsample_votes(f, (9, 8, 8), mode="interp").shape == (9, 8, 8)


@pytest.mark.parametrize("upsample", ["interp", "nearest"])
def test_self_transfer_recovers_the_organs(upsample):
    image, label = ct_phantom()
    out = transfer_labels(image, [(image, label)], load_describer("gvdiff"), k=1, upsample=upsample)
    assert out.shape == image.array.shape
    for organ in (1, 2):
        assert dice(out == organ, label.array == organ) > 0.6


def test_labels_restrict_the_output_and_shifted_query_keeps_its_grid():
    image, label = ct_phantom()
    query, _ = ct_phantom(shape=(32, 28, 24), shift=2, seed=1)
    out = transfer_labels(query, [(image, label)], load_describer("gvdiff"), labels=[1])
    assert out.shape == query.array.shape
    assert set(np.unique(out)) <= {0, 1}


def test_bad_supports_and_queries_are_refused():
    image, label = ct_phantom()
    moved = Image(
        label.array, Geometry(label.geometry.shape, np.diag([3.0, 2, 2, 1]), "moved.nii.gz")
    )
    t = LabelTransfer(load_describer("gvdiff"))
    with pytest.raises(MedsslError, match="phantom0.nii.gz.*moved.nii.gz"):
        t.add_support(image, moved)
    empty = Image(np.zeros_like(label.array), label.geometry)
    with pytest.raises(MedsslError, match="no foreground"):
        t.add_support(image, empty)
    t = LabelTransfer(load_describer("gvdiff"), labels=[1, 7])
    t.add_support(image, label)
    with pytest.raises(MedsslError, match=r"\[7\] are in no support"):
        t.build()
    t = LabelTransfer(load_describer("gvdiff"))
    t.add_support(image, label)
    tiny, _ = ct_phantom(shape=(30, 28, 6), spacing=2.0)
    with pytest.raises(MedsslError, match="too small"):
        t.predict(tiny)


def test_a_scan_given_twice_is_described_once_and_ivf_recovers_the_organs():
    image, label = ct_phantom()
    gv, calls = load_describer("gvdiff"), []

    def counting(volume):
        calls.append(volume.shape)
        return gv(volume)

    counting.dim = gv.dim
    t = LabelTransfer(counting, k=1, exact_limit=10)  # an inverted file, not the exact index
    t.add_support(image, label)
    t.add_support(image, Image((label.array == 1).astype(np.uint8), label.geometry))
    assert len(calls) == 1
    query, _ = ct_phantom(shape=(32, 28, 24), shift=2, seed=1)
    t.add_support(query, _)  # a third, different scan: the database holds all three
    assert len(calls) == 2
    t.build()
    assert t._index.ntotal == len(t._classes) == sum(len(f) for f in t._feats)
    out = t.predict(image).labels
    assert len(calls) == 3 and type(t._index).__name__ == "IndexIVFFlat"
    for organ in (1, 2):
        assert dice(out == organ, label.array == organ) > 0.6


class Blind:
    """A describer that sees nothing: the same descriptor for every block."""

    dim = 8

    def __call__(self, volume):
        from medssl.methods.context.descriptors import block_shape

        return np.zeros((*block_shape(volume.shape), self.dim), np.float32)


def twin_organs():
    """Two identical organs, left (1) and right (2) of the body's midline."""
    image, _ = ct_phantom()
    hu, label = image.array.copy(), np.zeros(image.array.shape, np.uint8)
    label[5:13, 8:20, 7:19], label[17:25, 8:20, 7:19] = 1, 2
    hu[label > 0] = 200.0
    return Image(hu, image.geometry), Image(label, image.geometry)


def test_body_box_position_spans_minus_one_to_one_in_block_order():
    where = body_box_position((9, 8, 8), axes="xyz")
    assert where.shape == (3 * 2 * 2, 3)
    np.testing.assert_allclose(where[0], 2 * 1.5 / np.array([8, 7, 7]) - 1)
    assert where[:, 0].max() == pytest.approx(2 * 9.5 / 8 - 1)
    assert body_box_position((9, 8, 8), axes="xy").shape == (12, 2)


def test_position_tells_twin_organs_apart_where_the_descriptor_cannot():
    image, label = twin_organs()
    positioned = transfer_labels(image, [(image, label)], Blind(), k=1, vote=Vote(balanced=False))
    for organ in (1, 2):  # 4³ blocks cut 8-voxel organs coarsely
        assert dice(positioned == organ, label.array == organ) > 0.55
    blind = transfer_labels(image, [(image, label)], Blind(), k=1, vote=Vote.paper())
    assert min(dice(blind == organ, label.array == organ) for organ in (1, 2)) < 0.3


def test_balanced_vote_divides_each_class_by_its_share():
    image, label = ct_phantom()
    votes = {"plain": Vote.paper(), "full": Vote(position="none", balance_power=1.0),
             "root": Vote(position="none")}  # fmt: skip
    for name, vote in votes.items():
        t = LabelTransfer(Blind(), k=10**6, vote=vote)  # every block votes
        t.add_support(image, label)
        fractions, _, _ = t.votes(image)
        voted = fractions.reshape(-1, 3)[fractions.reshape(-1, 3)[:, 0] < 1]
        assert len(voted)
        share = t._prior / t._prior.sum()
        target = {"plain": share, "full": np.full(3, 1 / 3), "root": share**0.5}[name]
        target = target / target.sum()
        np.testing.assert_allclose(voted, np.broadcast_to(target, voted.shape), atol=1e-5)
    assert share.min() < 0.2  # the phantom's classes are unequal: the three targets differ


def test_bad_votes_are_refused():
    with pytest.raises(MedsslError, match="position must be one of none, xy, xyz, aligned"):
        Vote(position="z")
    for weight in (0.0, -1.0, float("nan")):
        with pytest.raises(MedsslError, match="position weight must be a positive number"):
            Vote(position_weight=weight)
    for power in (-0.5, 1.5):
        with pytest.raises(MedsslError, match="balance power must be in"):
            Vote(balance_power=power)


def test_largest_piece_keeps_one_component_per_label():
    classes = np.zeros((12, 12, 12), np.int64)
    classes[1:6, 1:6, 1:6] = 1  # the organ
    classes[9:11, 9:11, 9:11] = 1  # a stray piece of it
    classes[1:4, 8:11, 1:3] = 2  # another organ, one piece
    out = largest_pieces(classes)
    assert (out[1:6, 1:6, 1:6] == 1).all() and not out[9:11, 9:11, 9:11].any()
    np.testing.assert_array_equal(out == 2, classes == 2)


def test_largest_piece_vote_runs_through_the_transfer():
    image, label = ct_phantom()
    plain = transfer_labels(image, [(image, label)], Blind(), k=1, vote=Vote())
    solid = transfer_labels(image, [(image, label)], Blind(), k=1, vote=Vote(largest_piece=True))
    for organ in np.unique(solid[solid > 0]):
        from scipy import ndimage

        assert ndimage.label(solid == organ, structure=np.ones((3, 3, 3)))[1] == 1
    assert (solid > 0).sum() <= (plain > 0).sum()


def stacked_organs():
    """A long textured body with two look-alike organs, low (1) and high (2) along z."""
    shape = (40, 36, 96)
    volume = textured_body(shape)
    hu = np.where(volume > 0, -50.0 + 150.0 * volume, -1000.0).astype(np.float32)
    label = np.zeros(shape, np.uint8)
    label[14:26, 12:24, 16:28], label[14:26, 12:24, 66:78] = 1, 2
    hu[label > 0] = 200.0
    geometry = Geometry(shape=shape, affine=np.diag([2.0, 2.0, 2.0, 1.0]), source="long.nii.gz")
    return Image(hu, geometry), Image(label, geometry)


def test_aligned_position_holds_when_the_query_is_a_slab_of_the_support():
    image, label = stacked_organs()
    cut = slice(52, 92)  # holds organ 2 only
    geometry = Geometry(shape=(40, 36, 40), affine=image.geometry.affine, source="slab.nii.gz")
    slab = Image(np.ascontiguousarray(image.array[:, :, cut]), geometry)
    truth = label.array[:, :, cut]
    for position, expect_organ_2 in (("xyz", False), ("aligned", True)):
        vote = Vote(position=position, balanced=False)
        out = transfer_labels(slab, [(image, label)], Blind(), k=1, vote=vote)
        found = dice(out == 2, truth == 2) > 0.5 and not (out == 1).any()
        assert found == expect_organ_2, position

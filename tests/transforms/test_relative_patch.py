import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import (
    NEIGHBOURS,
    RandomRelativePatch,
    RplConfig,
    RplParams,
    draw_rpl,
    make_rpl,
    query_cell,
    rpl_boxes,
)

CFG = RplConfig(cell=6, patch=4)


def test_labels_are_the_26_neighbours():
    assert len(NEIGHBOURS) == 26 and len(set(NEIGHBOURS)) == 26 and (0, 0, 0) not in NEIGHBOURS
    cells = sorted(query_cell(k) for k in range(26))
    assert cells == [c for c in range(27) if c != 13]
    rng = np.random.default_rng(0)
    labels = {draw_rpl(rng, CFG).label for _ in range(2000)}
    assert labels == set(range(26))


def test_geometry_matches_the_label():
    rng = np.random.default_rng(1)
    for _ in range(50):
        params = draw_rpl(rng, CFG)
        centre, query = rpl_boxes(params, CFG)
        delta = np.subtract(query.start, centre.start)
        jitter = np.subtract(params.query_jitter, params.centre_jitter)
        assert tuple((delta - jitter) // CFG.cell) == NEIGHBOURS[params.label]
        assert all(6 <= a and a + 4 <= 12 for a in centre.start)


def test_patches_are_cut_from_their_boxes():
    cube = np.random.default_rng(0).random((18, 18, 18), dtype=np.float32)
    centre, query, params = RandomRelativePatch(CFG)(cube, np.random.default_rng(2))
    cbox, qbox = rpl_boxes(params, CFG)
    assert centre.shape == query.shape == (4, 4, 4)
    assert np.array_equal(centre, cube[cbox.slices]) and np.array_equal(query, cube[qbox.slices])
    again = make_rpl(cube, draw_rpl(np.random.default_rng(2), CFG), CFG)
    assert np.array_equal(again[1], query)


def test_errors():
    with pytest.raises(MedsslError, match="0..25"):
        query_cell(26)
    with pytest.raises(MedsslError, match="side"):
        make_rpl(np.zeros((17, 18, 18)), RplParams(0, (0, 0, 0), (0, 0, 0)), CFG)
    with pytest.raises(MedsslError, match="patch must be <= cell"):
        RplConfig(cell=4, patch=6)

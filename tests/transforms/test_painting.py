import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.transforms import RandomPainting, painted_mask, painting


@pytest.fixture
def volume():
    # Values above 1 can never be uniform noise in [0, 1): easy to tell apart.
    return np.full((32, 32, 16), 5.0, dtype=np.float32)


def test_deterministic_from_seed(volume):
    t = RandomPainting(p=1.0)
    a, pa = t(volume, np.random.default_rng(4))
    b, pb = t(volume, np.random.default_rng(4))
    assert pa == pb and np.array_equal(a, b)
    assert np.array_equal(painting(volume, pa), a)


@pytest.mark.parametrize("seed", range(10))
def test_inpainting_leaves_outside_untouched(volume, seed):
    params = RandomPainting(p=1.0, outpaint_p=0.0).draw(np.random.default_rng(seed), volume.shape)
    assert not params.outpaint
    out = painting(volume, params)
    mask = painted_mask(volume.shape, params)
    assert np.array_equal(out[~mask], volume[~mask])
    assert np.all((out[mask] >= 0) & (out[mask] < 1))
    for box in params.boxes:
        assert all(1 <= s <= d // 3 for s, d in zip(box.size, volume.shape))


@pytest.mark.parametrize("seed", range(10))
def test_outpainting_keeps_inner_boxes_only(volume, seed):
    params = RandomPainting(p=1.0, outpaint_p=1.0).draw(np.random.default_rng(seed), volume.shape)
    assert params.outpaint and 1 <= len(params.boxes) <= 5
    out = painting(volume, params)
    mask = painted_mask(volume.shape, params)
    assert np.array_equal(out[~mask], volume[~mask])
    assert np.all(out[mask] < 1) and mask.any()
    for box in params.boxes:
        assert all(0 <= a and b <= d for a, b, d in zip(box.start, box.stop, volume.shape))


def test_outpaint_share_and_probabilities(volume):
    rng = np.random.default_rng(0)
    assert all(RandomPainting(p=0.0).draw(rng, volume.shape) is None for _ in range(10))
    draws = [RandomPainting(p=1.0).draw(rng, volume.shape) for _ in range(400)]
    share = np.mean([d.outpaint for d in draws])
    assert 0.7 < share < 0.9


def test_bad_options():
    with pytest.raises(MedsslError, match="outpaint_p"):
        RandomPainting(outpaint_p=-0.1)
    with pytest.raises(MedsslError, match="max_boxes"):
        RandomPainting(max_boxes=0)

"""PGL views: receipts that reproduce the views, overlap rule, augmentation ranges."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.views import PglViewConfig, ViewReceipt, apply_receipt, draw_view_pair, make_pgl_dataset
from medssl.views.receipts import overlap_fraction

INPUT = (16, 16, 8)
QUIET = {"noise_p": 0.0, "blur_p": 0.0, "contrast_p": 0.0, "gamma_p": 0.0, "zscore": False}


def coordinate_volume(shape=(40, 36, 20)) -> np.ndarray:
    x, y, z = np.meshgrid(*[np.arange(s, dtype=np.float32) for s in shape], indexing="ij")
    return x + 100 * y + 10000 * z


def test_receipts_are_in_range_and_overlap():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = draw_view_pair(rng, (40, 36, 20), INPUT)
        for r in (a, b):
            assert all(1.1 * n - 0.5 <= s <= 1.4 * n + 0.5 for s, n in zip(r.size, INPUT))
            assert all(0 <= s and s + n <= v for s, n, v in zip(r.start, r.size, (40, 36, 20)))
            scales = r.scale(INPUT)
            assert max(scales) - min(scales) <= 0.5 / min(INPUT) * 2
        assert overlap_fraction(a, b) >= 0.1


def test_view_reproduces_box_and_flip():
    volume = coordinate_volume()
    receipt = ViewReceipt(start=(3, 5, 2), size=(20, 20, 10), flips=(True, False, True))
    view = apply_receipt(volume, receipt, INPUT)
    # Output voxel i is centred at start + (i + 0.5) * size / n in continuous coordinates,
    # i.e. at index start + (i + 0.5) * size / n - 0.5 of the (linear) coordinate volume.
    centres = [
        s + (np.arange(n) + 0.5) * m / n - 0.5
        for s, m, n in zip(receipt.start, receipt.size, INPUT)
    ]
    x, y, z = np.meshgrid(*centres, indexing="ij")
    expected = (x + 100 * y + 10000 * z)[::-1, :, ::-1]
    np.testing.assert_allclose(view, expected, rtol=1e-5)


def test_low_overlap_fallback_and_error():
    # Boxes of 16 in a 200-long axis almost never overlap by 90 %.
    shape, inp = (200, 12, 12), (12, 8, 8)
    a, b = draw_view_pair(np.random.default_rng(1), shape, inp, min_overlap=0.9, max_draws=2)
    assert overlap_fraction(a, b) >= 0.9
    with pytest.raises(MedsslError, match="overlap by at least 90%"):
        draw_view_pair(
            np.random.default_rng(1),
            shape,
            inp,
            min_overlap=0.9,
            max_draws=2,
            on_low_overlap="error",
        )


def test_dataset_items_are_reproducible_and_padded():
    volumes = [np.random.default_rng(3).normal(size=(18, 30, 9)).astype(np.float32)]
    data = make_pgl_dataset(volumes, seed=7, length=4, config=PglViewConfig(input_shape=INPUT))
    item = data[2]
    assert item["view1"].shape == (1, *INPUT) and item["box1"].shape == (2, 3)
    assert item["flip2"].dtype == torch.bool
    again = data[2]
    for key in item:
        torch.testing.assert_close(item[key], again[key])
    assert not torch.equal(data[1]["view1"], item["view1"])


def test_intensity_augmentations_change_views_only_when_drawn():
    volume = coordinate_volume() / 1e5
    config = PglViewConfig(input_shape=INPUT, **QUIET)
    data = make_pgl_dataset([volume], seed=0, length=3, config=config)
    item = data[0]
    for k in (1, 2):
        flips = item[f"flip{k}"].tolist()
        start, size = item[f"box{k}"].int().tolist()
        plain = apply_receipt(volume, ViewReceipt(tuple(start), tuple(size), tuple(flips)), INPUT)
        np.testing.assert_allclose(item[f"view{k}"][0].numpy(), plain, rtol=1e-6)
    loud = PglViewConfig(input_shape=INPUT, noise_p=1.0, blur_p=1.0, contrast_p=1.0, gamma_p=1.0)
    noisy = make_pgl_dataset([volume], seed=0, length=3, config=loud)[0]
    assert not torch.allclose(noisy["view1"], item["view1"])


def test_bad_config():
    with pytest.raises(MedsslError, match="on_low_overlap"):
        PglViewConfig(on_low_overlap="retry")
    with pytest.raises(MedsslError, match="scale_range must start"):
        PglViewConfig(scale_range=(0.5, 1.2))
    with pytest.raises(MedsslError, match="flip_p"):
        PglViewConfig(flip_p=2.0)

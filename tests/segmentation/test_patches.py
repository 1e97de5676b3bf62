import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.segmentation.augment import AugmentConfig
from medssl.segmentation.patches import PatchDataset, crop_or_pad


def _case(shape=(30, 28, 20)):
    rng = np.random.default_rng(0)
    image = rng.random((1, *shape), dtype=np.float32)
    label = np.zeros(shape, np.int64)
    label[10:14, 8:12, 5:9] = 1
    return image, label


def test_items_are_reproducible_and_shaped():
    image, label = _case()
    ds = PatchDataset(
        [image], [label], patch=(16, 16, 16), length=8, seed=3, augment=AugmentConfig()
    )
    a, b = ds[5], ds[5]
    assert a["image"].shape == (1, 16, 16, 16) and a["label"].shape == (1, 16, 16, 16)
    assert type(a["image"]) is torch.Tensor and a["label"].dtype == torch.int64
    torch.testing.assert_close(a["image"], b["image"])
    assert not torch.equal(ds[5]["image"], ds[6]["image"])


def test_foreground_oversampling():
    image, label = _case((64, 64, 64))
    label[:] = 0
    label[40:44, 40:44, 40:44] = 1
    ds = PatchDataset(
        [image], [label], patch=(16, 16, 16), length=40, seed=0, foreground_fraction=1.0
    )
    assert all(ds[i]["label"].sum() > 0 for i in range(40))


def test_crop_or_pad_outside():
    a = np.arange(27).reshape(3, 3, 3)
    out = crop_or_pad(a, (-1, 1, 2), (3, 3, 3))
    assert out.shape == (3, 3, 3)
    assert out[0].sum() == 0 and out[1, 0, 0] == a[0, 1, 2]


def test_patch_larger_than_image_without_padding():
    image, label = _case((10, 10, 10))
    with pytest.raises(MedsslError, match="larger than the image .* padding is off"):
        PatchDataset(
            [image],
            [label],
            patch=(16, 16, 16),
            length=1,
            seed=0,
            pad=False,
            names=["brain.nii.gz"],
        )


def test_bad_patch_size_and_empty_set():
    image, label = _case()
    with pytest.raises(MedsslError, match="patch size must be 3 positive integers"):
        PatchDataset([image], [label], patch=(16, 0, 16), length=1, seed=0)
    with pytest.raises(MedsslError, match="no training cases"):
        PatchDataset([], [], patch=(8, 8, 8), length=1, seed=0)

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from medssl.errors import MedsslError
from medssl.transforms import GenesisConfig, JigsawConfig, RplConfig, ScaleCubeConfig
from medssl.views import (
    GenesisViewConfig,
    RotationViewConfig,
    SarViewConfig,
    make_genesis_dataset,
    make_jigsaw_dataset,
    make_rotation_dataset,
    make_rpl_dataset,
    make_sar_dataset,
)

FAST = GenesisConfig(n_shuffle_windows=200)
OFF = GenesisConfig(flip_p=0.0, local_shuffle_p=0.0, bezier_p=0.0, painting_p=0.0)
CASES = {
    "genesis": (make_genesis_dataset, GenesisViewConfig(crop_shape=(16, 16, 8), transform=FAST)),
    "sar": (make_sar_dataset, SarViewConfig(ScaleCubeConfig(out_shape=(16, 16, 8)), FAST)),
    "rotation": (make_rotation_dataset, RotationViewConfig(size=12)),
    "jigsaw": (make_jigsaw_dataset, JigsawConfig(grid=2, cell=6, tile=4, n_permutations=10)),
    "rpl": (make_rpl_dataset, RplConfig(cell=5, patch=4)),
}
SHAPES = {
    "genesis": {"input": (1, 16, 16, 8), "target": (1, 16, 16, 8)},
    "sar": {"input": (1, 16, 16, 8), "target": (1, 16, 16, 8), "scale": ()},
    "rotation": {"input": (1, 12, 12, 12), "label": ()},
    "jigsaw": {"tiles": (8, 1, 4, 4, 4), "label": ()},
    "rpl": {"centre": (1, 4, 4, 4), "query": (1, 4, 4, 4), "label": ()},
}


@pytest.fixture(scope="module")
def volumes():
    rng = np.random.default_rng(0)
    return [rng.random((32, 24, 16), dtype=np.float32) for _ in range(2)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_items_have_shapes_and_are_reproducible(name, volumes):
    factory, config = CASES[name]
    ds = factory(volumes, seed=3, length=4, config=config, modalities=["ct", "mr"])
    item = ds[1]
    assert {k: tuple(v.shape) for k, v in item.items()} == {**SHAPES[name], "modality": ()}
    assert item["modality"].item() == 1
    for key, value in item.items():
        assert value.dtype == (torch.float32 if value.ndim else torch.long), key
    again = factory(volumes, seed=3, length=4, config=config, modalities=["ct", "mr"])[1]
    assert all(torch.equal(item[k], again[k]) for k in item)
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch[next(iter(SHAPES[name]))].shape[0] == 2


@pytest.mark.parametrize("name", ["rotation", "jigsaw", "rpl"])
def test_labels_in_range(name, volumes):
    factory, config = CASES[name]
    ds = factory(volumes, seed=0, length=200, config=config)
    labels = {ds[i]["label"].item() for i in range(200)}
    top = {"rotation": 10, "jigsaw": 10, "rpl": 26}[name]
    assert labels <= set(range(top)) and len(labels) > top // 2


def test_sar_scale_labels_and_restoration_target(volumes):
    cfg = SarViewConfig(ScaleCubeConfig(out_shape=(16, 16, 8)), OFF)
    ds = make_sar_dataset(volumes, seed=0, length=40, config=cfg)
    items = [ds[i] for i in range(40)]
    assert {it["scale"].item() for it in items} == {0, 1, 2}
    assert all(torch.equal(it["input"], it["target"]) for it in items)


def test_genesis_target_is_a_crop(volumes):
    cfg = GenesisViewConfig(crop_shape=(16, 16, 8), transform=OFF)
    target = make_genesis_dataset(volumes[:1], seed=0, length=1, config=cfg)[0]["target"][0].numpy()
    windows = np.lib.stride_tricks.sliding_window_view(volumes[0], (16, 16, 8))
    hits = np.argwhere(np.all(windows == target, axis=(3, 4, 5)))
    assert len(hits) == 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_too_small_volume(name):
    factory, config = CASES[name]
    tiny = [np.zeros((3, 3, 3), dtype=np.float32)]
    with pytest.raises(MedsslError, match="smaller than the cube size"):
        factory(tiny, seed=0, length=1, config=config)[0]


def test_padding_allows_small_volumes():
    tiny = [np.ones((3, 3, 3), dtype=np.float32)]
    ds = make_rotation_dataset(tiny, seed=0, length=1, config=RotationViewConfig(size=8, pad=True))
    assert ds[0]["input"].shape == (1, 8, 8, 8)
    cfg = SarViewConfig(ScaleCubeConfig(out_shape=(16, 16, 8), pad=True), OFF)
    assert make_sar_dataset(tiny, seed=0, length=1, config=cfg)[0]["input"].shape == (1, 16, 16, 8)


def test_sar_on_a_real_flair(shared_data):
    from medssl.io import read_image

    path = shared_data / "brats_dev" / "brats_2013_pat0003_1" / "flair.nii.gz"
    if not path.exists():
        pytest.skip(f"real scan not available at {path}")
    flair = read_image(path).array
    flair = (flair - flair.min()) / (flair.max() - flair.min())
    ds = make_sar_dataset(
        [flair], seed=0, length=4, config=SarViewConfig(transform=FAST), modalities="mr"
    )
    item = ds[0]
    assert item["input"].shape == item["target"].shape == (1, 64, 64, 32)
    assert 0.0 <= item["target"].min() and item["target"].max() <= 1.0
    assert item["modality"].item() == 1 and item["scale"].item() in (0, 1, 2)

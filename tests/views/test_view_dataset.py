import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.views import ViewDataset, VolumeSource, modality_class, to_tensor


def _mean_maker(volume, rng):
    return {"value": torch.tensor([float(volume.mean()), float(rng.random())])}


@pytest.fixture
def volumes():
    return [np.full((4, 4, 4), float(k), dtype=np.float32) for k in range(3)]


def test_item_is_remade_from_seed_and_index(volumes):
    a = ViewDataset(VolumeSource(volumes), _mean_maker, seed=7, length=10)
    b = ViewDataset(VolumeSource(volumes), _mean_maker, seed=7, length=10)
    assert torch.equal(a[4]["value"], b[4]["value"])
    assert not torch.equal(a[4]["value"], a[7]["value"])
    c = ViewDataset(VolumeSource(volumes), _mean_maker, seed=8, length=10)
    assert not torch.equal(a[4]["value"], c[4]["value"])
    assert [a[i]["value"][0].item() for i in range(6)] == [0, 1, 2, 0, 1, 2]


def test_loader_and_modalities(volumes):
    source = VolumeSource(volumes.__getitem__, n_volumes=3, modalities=["CT", "mr", "MRI"])
    ds = ViewDataset(source, _mean_maker, seed=0, length=3)
    assert [ds[i]["modality"].item() for i in range(3)] == [0, 1, 1]
    assert ds[0]["modality"].dtype == torch.long
    assert "modality" not in ViewDataset(VolumeSource(volumes), _mean_maker, seed=0, length=1)[0]
    assert VolumeSource(volumes, modalities="mr").modality(2) == 1


def test_index_error(volumes):
    ds = ViewDataset(VolumeSource(volumes), _mean_maker, seed=0, length=2)
    with pytest.raises(IndexError):
        ds[2]


def test_bad_inputs(volumes):
    with pytest.raises(MedsslError, match="n_volumes is required"):
        VolumeSource(volumes.__getitem__)
    with pytest.raises(MedsslError, match="at least one volume"):
        VolumeSource([])
    with pytest.raises(MedsslError, match="3D"):
        VolumeSource([np.zeros((4, 4))])
    with pytest.raises(MedsslError, match="one modality per volume"):
        VolumeSource(volumes, modalities=["ct"])
    with pytest.raises(MedsslError, match="modality must be one of"):
        modality_class("pet")
    with pytest.raises(MedsslError, match="seed"):
        ViewDataset(VolumeSource(volumes), _mean_maker, seed=-1, length=2)
    with pytest.raises(MedsslError, match="length"):
        ViewDataset(VolumeSource(volumes), _mean_maker, seed=0, length=0)
    bad = ViewDataset(
        VolumeSource(lambda i: np.zeros((2, 2)), n_volumes=1), _mean_maker, seed=0, length=1
    )
    with pytest.raises(MedsslError, match="volume 0 must be 3D"):
        bad[0]


def test_to_tensor_adds_channel_axis():
    assert to_tensor(np.zeros((2, 3, 4))).shape == (1, 2, 3, 4)
    assert to_tensor(np.zeros((5, 2, 3, 4))).shape == (5, 1, 2, 3, 4)

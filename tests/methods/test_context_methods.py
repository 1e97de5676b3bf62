"""context2d_heatmap, context2d_reg and doersch3d: one training step on tiny CT, errors."""

from __future__ import annotations

from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.methods import create_method


@pytest.fixture()
def records(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    g = np.stack(np.meshgrid(*[np.linspace(-1, 1, 28)] * 3, indexing="ij"))
    body = (g**2).sum(0) < 0.8
    recs = []
    for i in range(2):
        hu = np.where(body, 40.0, -1000.0) + np.random.default_rng(i).normal(0, 20, body.shape)
        path = tmp_path / f"ct{i}.nii.gz"
        nib.save(nib.Nifti1Image(hu.astype(np.float32), np.diag([2.0, 2.0, 2.0, 1.0])), path)
        recs.append(Record(f"ct{i}", path, modality="CT"))
    return recs


@pytest.mark.parametrize(
    ("method", "model", "kwargs"),
    [
        ("context2d_heatmap", "context2d", {"head": "heatmap"}),
        ("context2d_reg", "context2d", {"head": "reg"}),
        ("doersch3d", "doersch3d", {}),
    ],
)
def test_one_training_step_runs(records, method, model, kwargs):
    torch.manual_seed(0)
    m = create_method(method)
    cfg = SimpleNamespace(model=model, model_kwargs=kwargs, steps=10, batch_size=2)
    net = m.build_model(cfg)
    ds = m.make_dataset(records, cfg, seed=0)
    batch = default_collate([ds[0], ds[1]])
    loss, logs = m.loss(net, batch)
    loss.backward()
    assert torch.isfinite(loss) and logs
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0 for p in m.encoder_of(net).parameters()
    )


def test_wrong_model_and_options_are_refused():
    m = create_method("context2d_reg")
    with pytest.raises(MedsslError, match="model 'context2d'"):
        m.build_model(SimpleNamespace(model="unet3d", model_kwargs={}))
    with pytest.raises(MedsslError, match="head"):
        m.build_model(SimpleNamespace(model="context2d", model_kwargs={"head": "heatmap"}))
    with pytest.raises(MedsslError, match="unknown option"):
        create_method("doersch3d", size=3)

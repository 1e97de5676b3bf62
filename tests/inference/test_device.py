"""--device auto|cpu|cuda for inference: CUDA when present, a clear error when asked for and absent."""

from __future__ import annotations

import pytest
import torch

from medssl.errors import MedsslError
from medssl.inference.device import resolve_device


def test_auto_picks_cuda_only_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device(None) == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"


def test_cuda_asked_for_but_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(MedsslError, match="--device cuda was asked for, but no CUDA GPU"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["tpu", "cpu:1", "gpu"])
def test_unknown_device(name):
    with pytest.raises(MedsslError, match="device must be one of auto, cpu, cuda"):
        resolve_device(name)


def test_missing_cuda_index(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(MedsslError, match="device 'cuda:3' does not exist"):
        resolve_device("cuda:3")
    assert resolve_device("cuda:0") == "cuda:0"

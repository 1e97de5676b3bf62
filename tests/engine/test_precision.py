"""``precision: auto``: bf16 only where the device computes it natively."""

from __future__ import annotations

import contextlib

import pytest
import torch

from medssl.config import TrainConfig
from medssl.engine import precision as P
from medssl.engine.model_card import _precision
from medssl.errors import MedsslError
from medssl.inference.sliding import autocast_context, check_options

CPU = torch.device("cpu")


@pytest.fixture
def cpu_bf16(monkeypatch):
    """Pretend the CPU has (True) or lacks (False) native bf16."""

    def set_native(native: bool) -> None:
        monkeypatch.setattr(P, "native_bf16", lambda device: native)
        monkeypatch.setattr(P, "_warned", set())

    return set_native


def test_auto_takes_bf16_only_on_native_hardware(cpu_bf16):
    cpu_bf16(True)
    assert P.resolve_precision(CPU, "auto") == "bf16"
    assert isinstance(P.autocast_factory(CPU, "auto")(), torch.autocast)
    cpu_bf16(False)
    assert P.resolve_precision(CPU, "auto") == "fp32"
    assert isinstance(P.autocast_factory(CPU, "auto")(), contextlib.nullcontext)
    assert isinstance(autocast_context(CPU, "auto"), contextlib.nullcontext)
    assert _precision("auto", "cpu") == "auto (fp32 here)"


def test_explicit_precisions_are_kept(cpu_bf16):
    cpu_bf16(True)
    assert P.resolve_precision(CPU, "fp32") == "fp32"
    cpu_bf16(False)
    assert P.resolve_precision(CPU, "fp32") == "fp32"


def test_bf16_without_hardware_warns_once(cpu_bf16, capsys):
    cpu_bf16(False)
    assert P.resolve_precision(CPU, "bf16") == "bf16"
    assert P.resolve_precision(CPU, "bf16") == "bf16"
    err = capsys.readouterr().err
    assert err.count("medssl: warning: precision bf16 on a CPU without") == 1
    cpu_bf16(True)
    P.resolve_precision(CPU, "bf16")
    assert capsys.readouterr().err == ""


def test_native_bf16_reads_the_cpu_flags(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not P.native_bf16(CPU)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert P.native_bf16(CPU)


def test_auto_is_the_default_and_bad_values_are_refused():
    assert TrainConfig().precision == "auto"
    check_options(overlap=0.5, precision="auto")
    with pytest.raises(MedsslError, match="precision must be one of auto, bf16, fp32; got 'fp16'"):
        check_options(overlap=0.5, precision="fp16")
    with pytest.raises(ValueError, match="precision must be one of"):
        P.resolve_precision(CPU, "fp16")

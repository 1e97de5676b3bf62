"""The CPU bf16 convolution guard: exact gradients on two-voxel axes, nothing else changed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from medssl.models import create_model
from medssl.models.cpu_bf16 import GuardedConv3d, guard_conv3d, needs_float32


def weight_grad(conv: nn.Conv3d, x: torch.Tensor, *, bf16: bool) -> torch.Tensor:
    conv.weight.grad = None
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        conv(x).float().sum().backward()
    return conv.weight.grad.clone()


@pytest.mark.parametrize("shape", [(2, 4, 4), (4, 2, 4), (2, 2, 1)])
def test_guarded_weight_gradient_matches_float32(shape):
    torch.manual_seed(0)
    conv = guard_conv3d(nn.Conv3d(16, 16, 3, padding=1, bias=False))
    for _ in range(8):
        x = torch.randn(2, 16, *shape)
        reference = weight_grad(conv, x, bf16=False)
        torch.testing.assert_close(weight_grad(conv, x, bf16=True), reference)


def test_only_the_faulty_calls_leave_bf16():
    conv = GuardedConv3d(4, 4, 3, padding=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert needs_float32(conv, torch.zeros(1, 4, 2, 4, 4))
        assert not needs_float32(conv, torch.zeros(1, 4, 3, 4, 4))
        assert conv(torch.zeros(1, 4, 4, 4, 4)).dtype == torch.bfloat16
        with torch.no_grad():
            assert not needs_float32(conv, torch.zeros(1, 4, 2, 4, 4))
    assert not needs_float32(conv, torch.zeros(1, 4, 2, 4, 4))
    dilated = GuardedConv3d(4, 4, 3, padding=2, dilation=2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not needs_float32(dilated, torch.zeros(1, 4, 2, 2, 2))


def test_created_models_are_guarded_with_unchanged_state_dicts():
    model = create_model("resnet3d_tiny", output_stride=[16, 16, 8])
    convs = [m for m in model.modules() if isinstance(m, nn.Conv3d)]
    assert convs and all(type(m) is GuardedConv3d for m in convs)
    plain = nn.Sequential(nn.Conv3d(1, 2, 3))
    keys = list(plain.state_dict())
    assert list(guard_conv3d(plain).state_dict()) == keys

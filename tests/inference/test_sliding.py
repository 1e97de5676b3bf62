import pytest
import torch

from medssl.errors import MedsslError
from medssl.inference.sliding import mirror_axes_sets, sliding_window_predict


def test_pointwise_model_is_reproduced_exactly_with_mirroring():
    torch.manual_seed(0)
    model = torch.nn.Conv3d(1, 2, 1)
    x = torch.randn(1, 1, 40, 37, 20)
    y = sliding_window_predict(
        model, x, roi_size=(16, 16, 16), mirror_axes=(0, 1, 2), precision="fp32"
    )
    assert y.shape == (1, 2, 40, 37, 20)
    torch.testing.assert_close(y, model(x).detach(), atol=1e-5, rtol=0)


def test_volume_smaller_than_window_and_bf16():
    model = torch.nn.Conv3d(1, 1, 1)
    x = torch.randn(1, 1, 10, 12, 9)
    y = sliding_window_predict(model, x, roi_size=(16, 16, 16), precision="bf16")
    assert y.shape == x.shape and y.dtype == torch.float32
    torch.testing.assert_close(y, model(x).detach(), atol=0.05, rtol=0.05)


def test_mirror_sets():
    assert len(mirror_axes_sets((0, 1, 2))) == 8
    assert mirror_axes_sets((2,)) == [(), (4,)]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"overlap": 1.0}, "overlap must be in"),
        ({"roi_size": (16, 16)}, "3 positive integers"),
        ({"mirror_axes": (3,)}, "mirror axes must be 0, 1 or 2; got \\(3,\\)"),
        ({"precision": "fp16"}, "precision must be"),
    ],
)
def test_bad_options(kwargs, match):
    args = {"roi_size": (8, 8, 8), **kwargs}
    with pytest.raises(MedsslError, match=match):
        sliding_window_predict(torch.nn.Identity(), torch.zeros(1, 1, 8, 8, 8), **args)

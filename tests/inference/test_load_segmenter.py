"""``predict`` rebuilds its network with the one loader, ``medssl.models.load_model``."""

from __future__ import annotations

import pytest
from zs_helpers import save_seg_model

from medssl.errors import MedsslError


def _rewrite(path, **changes):
    import torch

    payload = torch.load(path, weights_only=False)
    payload.update(changes)
    torch.save(payload, path)
    return path


def test_a_model_loads_as_load_model_builds_it(tmp_path):
    from medssl.models import load_model
    from medssl.segmentation.predict import load_segmenter

    path = save_seg_model(tmp_path / "seg.pt")
    model, extra, _ = load_segmenter(path)
    assert type(model) is type(load_model(path)) and not model.training
    assert extra["task"] == "segmentation"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arch": "unet9d"}, "unknown architecture 'unet9d'"),
        ("config", "cannot build the network stored in"),
    ],
)
def test_a_file_that_cannot_be_rebuilt_is_one_line(tmp_path, changes, message):
    import torch

    from medssl.segmentation.predict import load_segmenter

    path = save_seg_model(tmp_path / "seg.pt")
    if changes == "config":
        config = dict(torch.load(path, weights_only=False)["config"], bogus_width=3)
        changes = {"config": config}
    _rewrite(path, **changes)
    with pytest.raises(MedsslError, match=message) as err:
        load_segmenter(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)

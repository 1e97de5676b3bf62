"""FlipAlign + CSAlign: two views of one volume line up feature for feature."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from medssl.errors import MedsslError
from medssl.losses.byol import byol_loss, local_consistency_loss
from medssl.losses.pgl_align import align_pair, cs_align, flip_align, overlap_boxes
from medssl.views import ViewReceipt, apply_receipt

VOLUME = (64, 64, 32)
INPUT = (16, 16, 8)
STRIDE = (4, 4, 2)
RECEIPTS = (
    ViewReceipt(start=(10, 12, 4), size=(20, 20, 10), flips=(True, False, True)),
    ViewReceipt(start=(16, 14, 8), size=(22, 22, 11), flips=(False, True, True)),
)
# Every RoIAlign sample stays between feature-cell centres (exact for a linear field).
OUT = (2, 3, 2)


def coordinates() -> list[np.ndarray]:
    """Three volumes holding each voxel centre's continuous x, y and z coordinate."""
    axes = [np.arange(n, dtype=np.float64) + 0.5 for n in VOLUME]
    return list(np.meshgrid(*axes, indexing="ij"))


def coordinate_features(receipt: ViewReceipt) -> torch.Tensor:
    """A view of the coordinate volumes, average-pooled by the output stride."""
    view = np.stack([apply_receipt(c, receipt, INPUT) for c in coordinates()])
    view_t = torch.from_numpy(view.astype(np.float64))[None]
    return F.avg_pool3d(view_t, kernel_size=STRIDE, stride=STRIDE)


def receipts_batch() -> dict[str, torch.Tensor]:
    batch = {}
    for k, r in enumerate(RECEIPTS, start=1):
        batch[f"box{k}"] = torch.from_numpy(r.box())[None]
        batch[f"flip{k}"] = torch.tensor([r.flips])
    return batch


def aligned(**switches):
    f1, f2 = (coordinate_features(r) for r in RECEIPTS)
    return align_pair(
        f1,
        f2,
        **receipts_batch(),
        input_shape=INPUT,
        stride=STRIDE,
        output_size=OUT,
        sampling_ratio=1,
        **switches,
    )


def test_two_views_align_exactly_on_coordinates():
    a1, a2 = aligned()
    torch.testing.assert_close(a1, a2, atol=1e-4, rtol=0)
    # And each cell holds the volume coordinates of its part of the overlap.
    region = overlap_boxes(*(torch.from_numpy(r.box())[None] for r in RECEIPTS))[0]
    for axis in range(3):
        lo, hi = region[axis].item(), region[3 + axis].item()
        centres = lo + (torch.arange(OUT[axis], dtype=torch.float64) + 0.5) * (hi - lo) / OUT[axis]
        shape = [1, 1, 1]
        shape[axis] = OUT[axis]
        expected = centres.reshape(shape).expand(OUT)
        torch.testing.assert_close(a1[0, axis].double(), expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("switches", [{"flip": False}, {"crop_scale": False}])
def test_ablations_leave_the_views_misaligned(switches):
    a1, a2 = aligned(**switches)
    assert (a1 - a2).abs().max() > 1.0


def test_flip_align_undoes_per_sample_flips():
    x = torch.arange(2 * 24, dtype=torch.float32).reshape(2, 1, 2, 3, 4)
    flips = torch.tensor([[True, False, True], [False, False, False]])
    flipped = torch.stack([x[0].flip([1, 3]), x[1]])
    torch.testing.assert_close(flip_align(flipped, flips), x)


def test_local_loss_is_zero_when_aligned_and_positive_otherwise():
    f1, f2 = (coordinate_features(r) for r in RECEIPTS)
    batch = receipts_batch()
    options = {"input_shape": INPUT, "stride": STRIDE, "output_size": OUT, "sampling_ratio": 1}
    # Coordinates shifted to be positive so their direction varies with position.
    f1, f2 = f1 + 1.0, f2 + 1.0
    maps = torch.cat([f1, f2])
    assert local_consistency_loss(maps, maps, batch, **options).item() < 1e-8
    assert local_consistency_loss(maps, maps, batch, flip=False, **options).item() > 1e-3
    # The folded flip gives the cells of flipping the map first.
    unflipped = torch.cat([flip_align(f, batch[f"flip{k}"]) for k, f in ((1, f1), (2, f2))])
    region = overlap_boxes(batch["box1"], batch["box2"]).repeat(2, 1)
    boxes = torch.cat([batch["box1"], batch["box2"]])
    flips = torch.cat([batch["flip1"], batch["flip2"]])
    cs = {"input_shape": INPUT, "stride": STRIDE, "output_size": OUT}
    torch.testing.assert_close(
        cs_align(maps, boxes, region, flips=flips, **cs), cs_align(unflipped, boxes, region, **cs)
    )


def test_byol_loss_range():
    p = torch.randn(4, 8)
    assert byol_loss(p, p, p, p).item() == pytest.approx(0.0, abs=1e-6)
    assert byol_loss(p, -p, p, -p).item() == pytest.approx(8.0)


def test_stride_must_divide_input_and_fit_the_map():
    f1, f2 = (coordinate_features(r) for r in RECEIPTS)
    options = {"input_shape": INPUT, "output_size": OUT}
    with pytest.raises(MedsslError, match="must divide the input"):
        align_pair(f1, f2, **receipts_batch(), stride=(3, 4, 2), **options)
    with pytest.raises(MedsslError, match="is not input"):
        align_pair(f1, f2, **receipts_batch(), stride=(8, 4, 2), **options)

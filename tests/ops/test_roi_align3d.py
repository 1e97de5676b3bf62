"""3D RoIAlign: torchvision's 2D rules on depth-1 inputs, exact values on coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from medssl.errors import MedsslError
from medssl.ops import roi_align3d


def reference_roi_align_2d(features, boxes, out, *, scale, sampling_ratio, aligned):
    """A line-by-line port of torchvision's CPU ``roi_align`` (one image, boxes (K, 4))."""
    c, height, width = features.shape
    offset = 0.5 if aligned else 0.0
    result = np.zeros((len(boxes), c, out[0], out[1]))

    def bilinear(y, x):
        if y < -1.0 or y > height or x < -1.0 or x > width:
            return np.zeros(c)
        y, x = max(y, 0.0), max(x, 0.0)
        y_low, x_low = int(y), int(x)
        if y_low >= height - 1:
            y_high = y_low = height - 1
            y = float(y_low)
        else:
            y_high = y_low + 1
        if x_low >= width - 1:
            x_high = x_low = width - 1
            x = float(x_low)
        else:
            x_high = x_low + 1
        ly, lx = y - y_low, x - x_low
        hy, hx = 1 - ly, 1 - lx
        return (
            hy * hx * features[:, y_low, x_low]
            + hy * lx * features[:, y_low, x_high]
            + ly * hx * features[:, y_high, x_low]
            + ly * lx * features[:, y_high, x_high]
        )

    for k, (x1, y1, x2, y2) in enumerate(boxes):
        sx, sy = x1 * scale - offset, y1 * scale - offset
        w, h = x2 * scale - offset - sx, y2 * scale - offset - sy
        if not aligned:
            w, h = max(w, 1.0), max(h, 1.0)
        bin_h, bin_w = h / out[0], w / out[1]
        for ph in range(out[0]):
            for pw in range(out[1]):
                acc = np.zeros(c)
                for iy in range(sampling_ratio):
                    y = sy + ph * bin_h + (iy + 0.5) * bin_h / sampling_ratio
                    for ix in range(sampling_ratio):
                        x = sx + pw * bin_w + (ix + 0.5) * bin_w / sampling_ratio
                        acc += bilinear(y, x)
                result[k, :, ph, pw] = acc / sampling_ratio**2
    return result


def depth_one_case(aligned: bool, sampling_ratio: int):
    g = torch.Generator().manual_seed(0)
    features = torch.randn(2, 3, 1, 7, 9, generator=g, dtype=torch.float64)
    # (y1, x1, y2, x2) in feature-map rows/columns, some leaving the map.
    boxes_2d = torch.tensor(
        [[0.3, 1.2, 5.5, 8.9], [-0.8, -0.6, 3.0, 2.0], [2.0, 2.0, 2.4, 2.2], [4.0, 6.0, 8.5, 10.4]],
        dtype=torch.float64,
    )
    image = torch.tensor([0, 1, 1, 0])
    boxes_3d = torch.cat(
        [
            image[:, None].double(),
            torch.zeros(4, 1, dtype=torch.float64),
            boxes_2d[:, :2],
            torch.ones(4, 1, dtype=torch.float64),
            boxes_2d[:, 2:],
        ],
        dim=1,
    )
    result = roi_align3d(
        features,
        boxes_3d,
        (1, 3, 4),
        sampling_ratio=sampling_ratio,
        aligned=aligned,
        spatial_scale=0.5,
    )
    return features, boxes_2d, image, result


@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("sampling_ratio", [1, 2, 3])
def test_depth_one_matches_torchvision_rules(aligned, sampling_ratio):
    features, boxes_2d, image, result = depth_one_case(aligned, sampling_ratio)
    for k in range(len(boxes_2d)):
        y1, x1, y2, x2 = boxes_2d[k].tolist()
        # The depth axis has one cell; its samples sit on it (or are clamped to it).
        expected = reference_roi_align_2d(
            features[image[k], :, 0].numpy(),
            [(x1, y1, x2, y2)],
            (3, 4),
            scale=0.5,
            sampling_ratio=sampling_ratio,
            aligned=aligned,
        )
        np.testing.assert_allclose(result[k, :, 0].numpy(), expected[0], atol=1e-10)


@pytest.mark.parametrize("aligned", [True, False])
def test_depth_one_matches_torchvision(aligned):
    ops = pytest.importorskip("torchvision.ops", reason="torchvision is not installed")
    features, boxes_2d, image, result = depth_one_case(aligned, 2)
    tv_boxes = torch.cat([image[:, None].double(), boxes_2d[:, [1, 0, 3, 2]]], dim=1)
    expected = ops.roi_align(
        features[:, :, 0], tv_boxes, (3, 4), spatial_scale=0.5, sampling_ratio=2, aligned=aligned
    )
    torch.testing.assert_close(result[:, :, 0], expected)


def coordinate_volume(shape=(6, 8, 10)) -> torch.Tensor:
    """Three channels holding the continuous x, y, z coordinate of each cell's centre."""
    axes = [torch.arange(s, dtype=torch.float64) + 0.5 for s in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"))[None]


def test_exact_values_on_coordinates():
    features = coordinate_volume()
    box = torch.tensor([[0, 1.0, 2.0, 1.5, 5.0, 6.0, 9.5]], dtype=torch.float64)
    out = (2, 4, 4)
    result = roi_align3d(features, box, out, sampling_ratio=2)
    # A linear field averaged over a bin is its value at the bin centre.
    for axis in range(3):
        lo, hi = box[0, 1 + axis].item(), box[0, 4 + axis].item()
        centres = lo + (torch.arange(out[axis], dtype=torch.float64) + 0.5) * (hi - lo) / out[axis]
        view = [1, 1, 1]
        view[axis] = out[axis]
        torch.testing.assert_close(result[0, axis], centres.reshape(view).expand(out))


def test_batch_per_image_lists_and_scale():
    features = torch.cat([coordinate_volume(), 2 * coordinate_volume()])
    boxes = [
        torch.tensor([[0.0, 0.0, 0.0, 12.0, 16.0, 20.0]], dtype=torch.float64),
        torch.tensor([[2.0, 4.0, 4.0, 6.0, 8.0, 8.0]] * 2, dtype=torch.float64),
    ]
    result = roi_align3d(features, boxes, 2, spatial_scale=(0.5, 0.5, 0.5), sampling_ratio=1)
    assert result.shape == (3, 3, 2, 2, 2)
    assert math.isclose(result[0, 0, 0, 0, 0].item(), 1.5)
    torch.testing.assert_close(result[1], result[2])
    assert math.isclose(result[1, 0, 0, 0, 0].item(), 2 * 1.5)


def test_far_outside_is_zero_and_gradients_flow():
    features = coordinate_volume().requires_grad_(True)
    far = torch.tensor([[0, 20.0, 20.0, 20.0, 24.0, 24.0, 24.0]], dtype=torch.float64)
    assert roi_align3d(features, far, 2).abs().max().item() == 0.0
    near = torch.tensor([[0, 1.0, 1.0, 1.0, 4.0, 4.0, 4.0]], dtype=torch.float64)
    roi_align3d(features, near, 2).sum().backward()
    assert features.grad is not None and features.grad.abs().sum() > 0


def test_bad_inputs():
    features = coordinate_volume()
    with pytest.raises(MedsslError, match="features must be"):
        roi_align3d(features[0], torch.zeros(1, 7), 2)
    with pytest.raises(MedsslError, match=r"boxes must be \(K, 7\)"):
        roi_align3d(features, torch.zeros(1, 6), 2)
    with pytest.raises(MedsslError, match="sampling_ratio"):
        roi_align3d(features, torch.zeros(1, 7), 2, sampling_ratio=-1)
    with pytest.raises(MedsslError, match="output_size"):
        roi_align3d(features, torch.zeros(1, 7), (2, 0, 2))

"""HD95 and NSD: empty-mask rules, crop equals MONAI on the full volume, spacing in mm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from monai.metrics import compute_hausdorff_distance, compute_surface_dice

from medssl.evaluation import hd95, normalized_surface_dice, surface_metrics, union_bbox

pytestmark = pytest.mark.filterwarnings("ignore")  # MONAI's deprecation notices


def monai_surface(pred, gt, spacing, tol=1.0) -> tuple[float, float]:
    p = torch.from_numpy(pred.astype(np.float32))[None, None]
    g = torch.from_numpy(gt.astype(np.float32))[None, None]
    hd = compute_hausdorff_distance(p, g, include_background=True, percentile=95, spacing=spacing)
    nsd = compute_surface_dice(p, g, [tol], include_background=True, spacing=spacing)
    return float(hd), float(nsd)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.8, 0.8, 3.0)])
def test_cropped_equals_monai_full_volume(blob, spacing):
    _, gt = blob
    pred = np.roll(gt, 2, axis=0)
    pred[:, :, :3] = 0
    ours = surface_metrics(pred, gt, spacing=spacing, tolerance=2.0)
    hd, nsd = monai_surface(pred, gt, spacing, tol=2.0)
    assert ours["hd95"] == pytest.approx(hd, abs=1e-5)
    assert ours["nsd"] == pytest.approx(nsd, abs=1e-6)


def test_mask_touching_border_is_exact():
    gt = np.zeros((10, 10, 10), bool)
    gt[:5, 2:8, 2:8] = True
    pred = np.zeros_like(gt)
    pred[:4, 2:9, 2:8] = True
    ours = surface_metrics(pred, gt, spacing=(1, 1, 1))
    hd, nsd = monai_surface(pred, gt, (1, 1, 1))
    assert ours["hd95"] == pytest.approx(hd) and ours["nsd"] == pytest.approx(nsd)


def test_spacing_is_in_mm(blob):
    _, gt = blob
    pred = np.roll(gt, 2, axis=2)
    iso = hd95(pred, gt, spacing=(1, 1, 1))
    thick = hd95(pred, gt, spacing=(1, 1, 5))
    assert iso == pytest.approx(2.0) and thick == pytest.approx(10.0)


def test_both_empty():
    e = np.zeros((6, 6, 6), bool)
    assert surface_metrics(e, e, spacing=(1, 1, 1)) == {"hd95": 0.0, "nsd": 1.0}


@pytest.mark.parametrize("which", ["pred", "gt"])
def test_one_empty(blob, which):
    _, gt = blob
    e = np.zeros_like(gt)
    pred, ref = (e, gt) if which == "pred" else (gt, e)
    m = surface_metrics(pred, ref, spacing=(1, 1, 1))
    assert math.isnan(m["hd95"]) and m["nsd"] == 0.0


def test_identical_masks(blob):
    _, gt = blob
    assert hd95(gt, gt, spacing=(1, 1, 1)) == 0.0
    assert normalized_surface_dice(gt, gt, spacing=(1, 1, 1), tolerance=0.0) == 1.0


def test_union_bbox():
    a = np.zeros((10, 10, 10), bool)
    a[3, 4, 5] = True
    b = np.zeros_like(a)
    b[6, 4, 9] = True
    assert union_bbox(a, b, margin=1) == (slice(2, 8), slice(3, 6), slice(4, 10))
    assert union_bbox(np.zeros_like(a), np.zeros_like(a)) is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"spacing": (1, 1)}, "spacing"),
        ({"spacing": (1, 0, 1)}, "spacing"),
        ({"spacing": (1, 1, 1), "tolerance": -1}, "tolerance"),
        ({"spacing": (1, 1, 1), "margin": 0}, "margin"),
        ({"spacing": (1, 1, 1), "which": ("hd100",)}, "hd100"),
    ],
)
def test_bad_arguments(blob, kwargs, match):
    _, gt = blob
    with pytest.raises(ValueError, match=match):
        surface_metrics(gt, gt, **kwargs)


def test_which_selects_metrics(blob):
    _, gt = blob
    assert set(surface_metrics(gt, gt, spacing=(1, 1, 1), which=("nsd",))) == {"nsd"}
    e = np.zeros_like(gt)
    assert math.isnan(surface_metrics(e, gt, spacing=(1, 1, 1), which=("hd95",))["hd95"])

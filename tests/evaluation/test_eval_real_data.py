"""Agreement with MONAI on real labels (BraTS whole tumour, MSD spleen at 0.79×0.79×7.5 mm)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.metrics import (
    compute_confusion_matrix_metric,
    compute_dice,
    compute_hausdorff_distance,
    compute_surface_dice,
    get_confusion_matrix,
)
from scipy import ndimage

from medssl.evaluation import compute_mask_metrics, evaluate_labelmaps, parse_labels
from medssl.io import read_label

pytestmark = pytest.mark.filterwarnings("ignore")

BRATS = "brats_dev/brats_2013_pat0006_1/label.nii.gz"
SPLEEN = "body/spleen_8/label.nii.gz"


def _crop(*masks: np.ndarray, margin: int) -> tuple[np.ndarray, ...]:
    union = np.logical_or.reduce(masks)
    box = tuple(
        slice(max(int(h.min()) - margin, 0), int(h.max()) + margin + 1) for h in np.nonzero(union)
    )
    return tuple(m[box] for m in masks)


def _monai(pred: np.ndarray, gt: np.ndarray, spacing, tol: float) -> dict[str, float]:
    p = torch.from_numpy(pred.astype(np.float32))[None, None]
    g = torch.from_numpy(gt.astype(np.float32))[None, None]
    return {
        "dice": float(compute_dice(p, g, ignore_empty=False)),
        "hd95": float(
            compute_hausdorff_distance(
                p, g, include_background=True, percentile=95, spacing=list(spacing)
            )
        ),
        "nsd": float(
            compute_surface_dice(p, g, [tol], include_background=True, spacing=list(spacing))
        ),
    }


def _check(pred, gt, spacing, tol=1.0):
    ours = compute_mask_metrics(pred, gt, spacing=spacing, nsd_tolerance=tol)
    ref = _monai(pred, gt, spacing, tol)
    assert ours["dice"] == pytest.approx(ref["dice"], abs=1e-4)
    assert ours["hd95"] == pytest.approx(ref["hd95"], abs=0.5)
    assert ours["nsd"] == pytest.approx(ref["nsd"], abs=1e-4)
    return ours


@pytest.fixture(scope="module")
def brats(shared_data):
    label = read_label(shared_data / BRATS)
    return label.array, label.geometry.spacing


@pytest.fixture(scope="module")
def spleen(shared_data):
    label = read_label(shared_data / SPLEEN)
    return label.array > 0, label.geometry.spacing


@pytest.mark.parametrize("op", ["erode", pytest.param("dilate", marks=pytest.mark.slow)])
def test_brats_whole_tumour_vs_morphed(brats, op):
    labels, spacing = brats
    wt = labels > 0
    (gt,) = _crop(wt, margin=6)
    morph = ndimage.binary_erosion if op == "erode" else ndimage.binary_dilation
    pred = morph(gt, iterations=2)
    ours = _check(pred, gt, spacing, tol=2.0)
    assert 0.7 < ours["dice"] < 0.98 and 1.0 <= ours["hd95"] <= 3.5


def test_brats_full_volume_agrees_with_cropped_evaluation(brats):
    """evaluate_labelmaps crops to the foreground; MONAI here sees all 240×240×155 voxels."""
    labels, spacing = brats
    pred = labels * ndimage.binary_erosion(labels > 0, iterations=1)
    rows, _ = evaluate_labelmaps(
        pred, labels, spacing=spacing, labels=parse_labels("wt=1+2+3+4"), case="pat0006"
    )
    p = torch.from_numpy(pred > 0)[None, None]
    g = torch.from_numpy(labels > 0)[None, None]
    cm = get_confusion_matrix(p.float(), g.float())
    assert rows[0].dice == pytest.approx(float(compute_confusion_matrix_metric("f1 score", cm)))
    spec = float(compute_confusion_matrix_metric("specificity", cm))
    assert rows[0].specificity == pytest.approx(spec, abs=1e-9)
    hd = compute_hausdorff_distance(p, g, include_background=True, percentile=95, spacing=spacing)
    nsd = compute_surface_dice(p, g, [1.0], include_background=True, spacing=list(spacing))
    assert rows[0].hd95 == pytest.approx(float(hd), abs=0.5)
    assert rows[0].nsd == pytest.approx(float(nsd), abs=1e-4)


def test_spleen_shifted_anisotropic(spleen):
    gt, spacing = spleen
    assert spacing[2] > 5 * spacing[0]  # 0.79 × 0.79 × 7.5 mm
    (gt,) = _crop(gt, margin=6)
    shift = (3, -2, 1)
    pred = np.roll(gt, shift, axis=(0, 1, 2))
    ours = _check(pred, gt, spacing, tol=2.0)
    shift_mm = float(np.linalg.norm(np.multiply(shift, spacing)))
    assert 0 < ours["hd95"] <= shift_mm + 1e-3


@pytest.mark.slow
def test_spleen_eroded_in_plane_only(spleen):
    gt, spacing = spleen
    (gt,) = _crop(gt, margin=4)
    structure = np.zeros((3, 3, 3), bool)
    structure[:, :, 1] = ndimage.generate_binary_structure(2, 1)
    pred = ndimage.binary_erosion(gt, structure=structure, iterations=3)
    _check(pred, gt, spacing, tol=1.5)

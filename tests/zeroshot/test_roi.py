"""medssl segment --roi: masks kept inside the organ, in the CT's grid; bad ROIs refused."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen
from zs_helpers import oblique_affine, save_ld_model, write_nifti

from medssl.errors import MedsslError
from medssl.io import read_image
from medssl.zeroshot.segment import segment_files


@pytest.fixture(scope="module")
def liver_model(tmp_path_factory):
    return save_ld_model(tmp_path_factory.mktemp("m") / "ld_liver.pt", preset="liver_ct")


def _case(tmp_path, affine=None):
    image, organs, tumour = abdomen()
    affine = oblique_affine((1.5, 1.5, 2.0)) if affine is None else affine
    ct = write_nifti(tmp_path / "ct.nii.gz", image, affine)
    roi = write_nifti(tmp_path / "organs.nii.gz", organs, affine)
    return ct, roi, organs, tumour


def _mask(path, reference):
    mask, image = read_image(path, dtype=None), read_image(reference)
    assert mask.geometry.shape == image.geometry.shape
    np.testing.assert_allclose(mask.geometry.affine, image.geometry.affine, atol=1e-4)
    return mask.array > 0


def test_network_mask_kept_inside_roi(tmp_path, liver_model):
    ct, roi, organs, _ = _case(tmp_path)
    lines = []
    (whole,) = segment_files(
        [ct], tmp_path / "all", model=liver_model, threshold=0.01, progress=False, force=True
    )
    (inside,) = segment_files(
        [ct], tmp_path / "roi", model=liver_model, threshold=0.01, progress=False,
        roi=roi, roi_labels=[5], report=lines.append,
    )  # fmt: skip
    whole, inside = _mask(whole, ct), _mask(inside, ct)
    assert whole[organs != 5].any()  # the untrained network marks voxels outside the liver
    assert inside.any() and not inside[organs != 5].any()
    np.testing.assert_array_equal(inside, whole & (organs == 5))
    assert "of the organ" in lines[0]


def test_any_positive_value_is_the_organ(tmp_path, liver_model):
    ct, roi, organs, _ = _case(tmp_path)
    (out,) = segment_files(
        [ct], tmp_path / "o", model=liver_model, threshold=0.01, progress=False, roi=roi
    )
    mask = _mask(out, ct)
    assert mask[organs == 1].any() and not mask[organs == 0].any()


def test_ct_baseline_inside_roi(tmp_path):
    ct, roi, organs, tumour = _case(tmp_path)
    (out,) = segment_files(
        [ct], tmp_path / "b", baseline="zscore", roi=roi, roi_labels=[5], min_voxels=5,
        progress=False,
    )  # fmt: skip
    mask = _mask(out, ct)
    assert not mask[organs != 5].any()
    assert 2 * np.count_nonzero(mask & tumour) / (mask.sum() + tumour.sum()) > 0.7


def test_ct_baseline_needs_an_organ(tmp_path):
    ct, _, _, _ = _case(tmp_path)
    with pytest.raises(MedsslError, match="--roi"):
        segment_files([ct], tmp_path / "b", baseline="zscore", progress=False)
    assert not (tmp_path / "b" / "ct.nii.gz").exists()


def test_roi_on_another_grid_names_both_files(tmp_path, liver_model):
    ct, _, organs, _ = _case(tmp_path)
    other = write_nifti(tmp_path / "shifted.nii.gz", organs, np.diag([1.5, 1.5, 2.0, 1.0]))
    for kwargs in ({"model": liver_model}, {"baseline": "zscore"}):
        with pytest.raises(MedsslError, match="grid") as err:
            segment_files([ct], tmp_path / "x", roi=other, progress=False, **kwargs)
        assert "shifted.nii.gz" in str(err.value) and "ct.nii.gz" in str(err.value)
        assert "\n" not in str(err.value)
    assert not (tmp_path / "x" / "ct.nii.gz").exists()


def test_empty_roi_and_absent_label_value(tmp_path, liver_model):
    ct, _, organs, _ = _case(tmp_path)
    empty = write_nifti(
        tmp_path / "empty.nii.gz", np.zeros_like(organs), oblique_affine((1.5, 1.5, 2.0))
    )
    with pytest.raises(MedsslError, match="empty.nii.gz is empty"):
        segment_files([ct], tmp_path / "x", model=liver_model, roi=empty, progress=False)
    roi = write_nifti(tmp_path / "organs.nii.gz", organs, oblique_affine((1.5, 1.5, 2.0)))
    with pytest.raises(MedsslError, match="value 7"):
        segment_files(
            [ct], tmp_path / "x", baseline="zscore", roi=roi, roi_labels=[7], progress=False
        )
    with pytest.raises(MedsslError, match="--roi not found"):
        segment_files(
            [ct], tmp_path / "x", baseline="zscore", roi=tmp_path / "no.nii.gz", progress=False
        )


def test_roi_option_rules(tmp_path, liver_model):
    ct, roi, _, _ = _case(tmp_path)
    second = write_nifti(tmp_path / "ct2.nii.gz", read_image(ct).array, np.eye(4))
    with pytest.raises(MedsslError, match="one image"):
        segment_files([ct, second], tmp_path / "x", model=liver_model, roi=roi, progress=False)
    with pytest.raises(MedsslError, match="--roi-labels needs"):
        segment_files([ct], tmp_path / "x", model=liver_model, roi_labels=[5], progress=False)
    with pytest.raises(MedsslError, match="not both"):
        segment_files(
            [ct], tmp_path / "x", model=liver_model, roi=roi, roi_from_transfer=(ct, roi),
            progress=False,
        )  # fmt: skip


def test_transferred_organ_is_made_solid():
    from medssl.zeroshot.roi import solid_organ

    idx = np.indices((40, 40, 30))
    organ = ((idx[0] - 20) ** 2 + (idx[1] - 20) ** 2 + (idx[2] - 15) ** 2) < 12**2
    lesion = ((idx[0] - 18) ** 2 + (idx[1] - 20) ** 2 + (idx[2] - 15) ** 2) < 4**2
    notch = ((idx[0] - 31) ** 2 + (idx[1] - 20) ** 2 + (idx[2] - 15) ** 2) < 3**2
    stray = np.zeros_like(organ)
    stray[1:3, 1:3, 1:3] = True
    transferred = organ & ~lesion & ~notch | stray
    solid = solid_organ(transferred, (1.5, 1.5, 2.0), closing_mm=6.0)
    assert solid[lesion].all()  # the enclosed lesion is inside again
    assert solid[notch & organ].mean() > 0.9  # the notch at the edge is closed
    assert not solid[stray].any()  # only the largest piece is kept
    assert solid.sum() < 1.1 * organ.sum()  # and it does not grow beyond the organ
    np.testing.assert_array_equal(solid_organ(np.zeros_like(organ), (1, 1, 1)), False)


def test_organ_relative_model_reads_any_phase_alike_and_needs_the_organ(tmp_path):
    organ_model = save_ld_model(tmp_path / "organ.pt", preset="liver_ct", normalisation="organ")
    window_model = save_ld_model(tmp_path / "window.pt", preset="liver_ct")
    ct, roi, _, _ = _case(tmp_path)
    image = read_image(ct)
    brighter = write_nifti(tmp_path / "brighter.nii.gz", image.array * 1.3 + 40.0,
                           image.geometry.affine)  # fmt: skip
    layers = {}
    for name, model in (("organ", organ_model), ("window", window_model)):
        for scan in (ct, brighter):
            out = tmp_path / f"{name}_{scan.name[:-7]}"
            (mask,) = segment_files(
                [scan], out, model=model, roi=roi, roi_labels=[5], save_layers=True,
                progress=False,
            )  # fmt: skip
            assert _mask(mask, ct).shape == image.geometry.shape
            layers[name, scan.name] = read_image(next(out.glob("*_normal.nii.gz"))).array
    gap = {k: np.abs(layers[k, "ct.nii.gz"] - layers[k, "brighter.nii.gz"]).max()
           for k in ("organ", "window")}  # fmt: skip
    assert gap["organ"] < 0.02 < gap["window"]  # bf16 rounding only, against a new input
    segment_files([ct], tmp_path / "panel", model=organ_model, roi=roi, roi_labels=[5],
                  panel=True, progress=False)  # fmt: skip
    assert (tmp_path / "panel" / "ct_panel.png").stat().st_size > 0
    with pytest.raises(MedsslError, match="relative to the organ.*--roi or --roi-from-transfer"):
        segment_files([ct], tmp_path / "none", model=organ_model, progress=False)


def test_organ_outside_the_trained_range_is_noted(tmp_path, liver_model):
    from medssl.zeroshot.package import package_weights

    ct, roi, organs, _ = _case(tmp_path)
    median = float(np.median(read_image(ct).array[organs == 5]))
    for low, high, noted in ((median - 20, median + 20, False), (median + 10, median + 60, True)):
        model = package_weights(
            liver_model, tmp_path / f"m{low:.0f}.pt", organ_hu_range=(low, high)
        )
        warned = []
        segment_files(
            [ct], tmp_path / f"o{low:.0f}", model=model, progress=False, roi=roi,
            roi_labels=[5], warn=warned.append,
        )  # fmt: skip
        hits = [w for w in warned if "outside the" in w and "HU of the organs" in w]
        assert bool(hits) is noted, warned
        if noted:
            assert str(ct) in hits[0] and f"{median:.0f} HU" in hits[0]

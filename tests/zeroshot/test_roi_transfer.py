"""--roi-from-transfer: the organ found by k-NN label transfer from one labelled scan."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen
from zs_helpers import write_nifti

from medssl.errors import MedsslError
from medssl.io import read_image
from medssl.zeroshot.roi import transfer_roi
from medssl.zeroshot.segment import segment_files

AFFINE = np.diag([2.0, 2.0, 2.5, 1.0])


@pytest.fixture
def scans(tmp_path):
    support, organs, _ = abdomen(seed=0)
    query, query_organs, tumour = abdomen(seed=1)
    paths = {
        "support": write_nifti(tmp_path / "support.nii.gz", support, AFFINE),
        "label": write_nifti(tmp_path / "support_seg.nii.gz", organs, AFFINE),
        "query": write_nifti(tmp_path / "query.nii.gz", query, AFFINE),
    }
    return paths, query_organs, tumour


def test_transferred_organ_overlaps_the_liver(scans):
    paths, organs, _ = scans
    roi = transfer_roi(read_image(paths["query"]), paths["support"], paths["label"], organ=5)
    liver = organs == 5
    assert 2 * np.count_nonzero(roi & liver) / (roi.sum() + liver.sum()) > 0.3
    assert np.count_nonzero(roi & (organs == 1)) < 0.5 * np.count_nonzero(organs == 1)


def test_segment_inside_the_transferred_organ(tmp_path, scans):
    paths, _, _ = scans
    (out,) = segment_files(
        [paths["query"]], tmp_path / "o", baseline="zscore", min_voxels=0, z=0.5,
        roi_from_transfer=(paths["support"], paths["label"]), progress=False,
    )  # fmt: skip
    mask = read_image(out, dtype=None)
    assert mask.geometry.matches(read_image(paths["query"]).geometry)
    roi = transfer_roi(read_image(paths["query"]), paths["support"], paths["label"])
    assert mask.array.any() and not mask.array[~roi].any()


def test_support_label_without_the_organ(tmp_path, scans):
    paths, _, _ = scans
    spleen_only = write_nifti(
        tmp_path / "spleen_only.nii.gz", (read_image(paths["label"]).array == 1).astype(np.uint8),
        AFFINE,
    )  # fmt: skip
    with pytest.raises(MedsslError, match=r"spleen_only.nii.gz has no voxel .* value 5") as err:
        segment_files(
            [paths["query"]], tmp_path / "o", baseline="zscore",
            roi_from_transfer=(paths["support"], spleen_only), progress=False,
        )  # fmt: skip
    assert "\n" not in str(err.value)
    assert not (tmp_path / "o" / "query.nii.gz").exists()
    with pytest.raises(MedsslError, match="one organ value"):
        segment_files(
            [paths["query"]], tmp_path / "o", baseline="zscore", roi_labels=[1, 5],
            roi_from_transfer=(paths["support"], paths["label"]), progress=False,
        )  # fmt: skip

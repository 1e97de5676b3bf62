"""DICOM mask series: binary masks, structure label maps from a zip or folders, grid checks."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from dicom_helpers import ramp_volume, write_series

from medssl.errors import MedsslError
from medssl.io import check_same_grid, read_image, read_label

STEP = 2.0


def _masks(shape=(6, 5, 4)) -> dict[str, np.ndarray]:
    liver = np.zeros(shape, np.uint8)
    liver[1:4, 1:4, 1:3] = 255
    spleen = np.zeros(shape, np.uint8)
    spleen[3:6, 2:5, 2:4] = 255  # overlaps the liver at [3, 2:4, 2]
    return {"liver": liver, "spleen": spleen}


@pytest.fixture
def case(tmp_path):
    """A CT series, its masks as folders of slices, and the same masks in a zip."""
    ct = write_series(tmp_path / "ct", ramp_volume(), step=STEP)
    masks = _masks()
    root = tmp_path / "MASKS_DICOM"
    for name, volume in masks.items():
        write_series(root / name, volume, step=STEP, names=[f"image_{k}" for k in range(4)])
    archive = tmp_path / "MASKS_DICOM.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(root.rglob("*")):
            zf.write(f, f.relative_to(tmp_path).as_posix())
    return ct, root, archive, masks


def _expected(mask: np.ndarray) -> np.ndarray:
    return mask.transpose(1, 0, 2) > 0  # (rows, cols, k) -> voxel (i = col, j = row, k)


def test_bare_mask_folder_is_a_binary_label_on_the_ct_grid(case):
    ct, root, _, masks = case
    label = read_label(root / "liver", reference=ct)
    assert label.array.dtype == np.uint8 and set(np.unique(label.array)) == {0, 1}
    np.testing.assert_array_equal(label.array, _expected(masks["liver"]))
    check_same_grid(read_image(ct).geometry, label.geometry)


@pytest.mark.parametrize("where", ["zip", "folder"])
def test_structure_spec_builds_a_label_map(case, where):
    ct, root, archive, masks = case
    base = archive if where == "zip" else root
    label = read_label(f"{base}::liver=1,spleen=2", reference=ct)
    expected = np.zeros(label.array.shape, np.uint8)
    expected[_expected(masks["liver"])] = 1
    expected[_expected(masks["spleen"])] = 2  # listed later: wins where they overlap
    np.testing.assert_array_equal(label.array, expected)
    check_same_grid(read_image(ct).geometry, label.geometry)
    single = read_label(f"{base}::spleen", reference=ct)
    np.testing.assert_array_equal(single.array, _expected(masks["spleen"]))


def test_zip_is_not_extracted_next_to_it(case):
    _, _, archive, _ = case
    before = sorted(p.name for p in archive.parent.iterdir())
    read_label(f"{archive}::liver=1")
    assert sorted(p.name for p in archive.parent.iterdir()) == before


def test_unknown_structure_lists_the_valid_ones(case):
    _, _, archive, _ = case
    with pytest.raises(
        MedsslError, match="no structure named livr; valid structures: liver, spleen"
    ):
        read_label(f"{archive}::livr=1")


@pytest.mark.parametrize("which", ["zip", "folder"])
def test_structures_without_mapping_say_how(case, which):
    _, root, archive, _ = case
    with pytest.raises(MedsslError, match=r"liver, spleen\); choose them with .*::NAME=VALUE"):
        read_label(archive if which == "zip" else root)


@pytest.mark.parametrize("mapping", ["liver=x", "liver=0", "=3", "liver=1,liver=2", ""])
def test_bad_mapping(case, mapping):
    _, _, archive, _ = case
    with pytest.raises(MedsslError, match="label mapping|no structure after"):
        read_label(f"{archive}::{mapping}")


def test_spec_on_a_non_zip_file(tmp_path):
    bad = tmp_path / "scan.nii.gz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(MedsslError, match="needs a zip or a folder"):
        read_label(f"{bad}::liver=1")


def test_mask_slice_off_the_ct_slice_names_both(case, tmp_path):
    ct, _, _, masks = case
    shifted = write_series(
        tmp_path / "shifted", masks["liver"], step=STEP, origin=(-9.5, 20.0, 5.0)
    )
    with pytest.raises(MedsslError, match="does not match image slice") as err:
        read_label(shifted, reference=ct)
    text = str(err.value)
    assert str(shifted / "slice000.dcm") in text and str(ct / "slice000.dcm") in text
    assert "position" in text


def test_mask_with_other_pixel_spacing_or_fewer_slices(case, tmp_path):
    ct, _, _, masks = case
    other = write_series(tmp_path / "sp", masks["liver"], step=STEP, pixel_spacing=(0.9, 0.7))
    with pytest.raises(MedsslError, match="pixel spacing"):
        read_label(f"{other.parent}::sp=1", reference=ct)
    fewer = write_series(tmp_path / "few", masks["liver"][:, :, :3], step=STEP)
    with pytest.raises(MedsslError, match="has 3 slices but the image .* has 4"):
        read_label(fewer, reference=ct)


def test_mask_series_with_a_missing_slice(case, tmp_path):
    _, _, _, masks = case
    write_series(tmp_path / "gap", masks["liver"], positions=[(-10, 20, z) for z in (5, 7, 11, 13)])
    with pytest.raises(MedsslError, match="not evenly spaced"):
        read_label(f"{tmp_path}::gap=1")


def test_pipeline_takes_a_structure_spec_as_label(case, tmp_path):
    from medssl.preprocess import Pipeline, PreprocessCache, Reorient

    ct, _, archive, _ = case
    sample = PreprocessCache(tmp_path / "cache").get(
        ct, Pipeline([Reorient()]), f"{archive}::liver=1"
    )
    assert sample.label is not None and sample.label.max() == 1


def _ircadb(shared_data):
    folder = shared_data / "body/ircadb_p1"
    if not (folder / "MASKS_DICOM.zip").is_file() or not (folder / "PATIENT_DICOM").is_dir():
        pytest.skip(f"3D-IRCADb patient 1 not available at {folder}")
    return folder


def test_ircadb_liver_mask_fits_the_ct_grid(shared_data):
    folder = _ircadb(shared_data)
    ct = read_image(folder / "PATIENT_DICOM")
    label = read_label(f"{folder / 'MASKS_DICOM.zip'}::liver=1", reference=folder / "PATIENT_DICOM")
    check_same_grid(ct.geometry, label.geometry)
    assert label.array.any() and set(np.unique(label.array)) == {0, 1}
    # the liver is soft tissue: its median is far above air and below bone
    assert -100 < float(np.median(ct.array[label.array > 0])) < 300


def test_ircadb_label_map_of_four_organs(shared_data):
    folder = _ircadb(shared_data)
    spec = f"{folder / 'MASKS_DICOM.zip'}::liver=1,spleen=2,rightkidney=3,leftkidney=4"
    label = read_label(spec, reference=folder / "PATIENT_DICOM")
    assert set(np.unique(label.array)) == {0, 1, 2, 3, 4}
    with pytest.raises(MedsslError, match="valid structures: .*liver.*spleen"):
        read_label(f"{folder / 'MASKS_DICOM.zip'}::pancreas=1")


def test_dicom_label_map_keeps_its_values(case, tmp_path):
    ct, _, _, masks = case
    labels = write_series(tmp_path / "labels", (masks["liver"] > 0).astype(np.uint8) * 2, step=STEP)
    label = read_label(labels, reference=ct)
    assert set(np.unique(label.array)) == {0, 2}

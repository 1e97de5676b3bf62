"""DICOM series: sorting, grid checks (missing slice, scout, tilt), several series."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from dicom_helpers import CORONAL, ramp_volume, write_series, write_slice

from medssl.errors import MedsslError
from medssl.io import list_series, read_geometry, read_image

UID_A = "1.2.826.0.1.3680043.8.498.11"
UID_B = "1.2.826.0.1.3680043.8.498.22"


def _world(affine: np.ndarray, ijk) -> np.ndarray:
    return (affine @ np.array([*ijk, 1.0]))[:3]


def test_series_voxels_and_grid(tmp_path):
    volume = ramp_volume()
    folder = write_series(tmp_path / "ct", volume, step=2.5)
    img = read_image(folder, dtype=None)
    assert img.geometry.shape == (5, 6, 4)
    # voxel (i = column, j = row, k = slice)
    np.testing.assert_array_equal(img.array, volume.transpose(1, 0, 2))
    np.testing.assert_allclose(img.geometry.spacing, (0.7, 0.8, 2.5), atol=1e-6)
    # LPS (-10, 20, 5) + 2 columns * 0.7 + 1 row * 0.8 + 3 slices * 2.5, in RAS
    np.testing.assert_allclose(_world(img.geometry.affine, (2, 1, 3)), [8.6, -20.8, 12.5])


def test_slices_sorted_by_position_not_by_name(tmp_path):
    volume = ramp_volume()
    names = ["d.dcm", "b.dcm", "a.dcm", "c.dcm"]  # name order: slice 2, 1, 3, 0
    folder = write_series(tmp_path / "ct", volume, names=names)
    img = read_image(folder, dtype=None)
    np.testing.assert_array_equal(img.array, volume.transpose(1, 0, 2))


def test_grid_matches_itk_gdcm_reader(tmp_path):
    folder = write_series(tmp_path / "ct", ramp_volume(), step=3.0)
    img = read_image(folder)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    ref = reader.Execute()
    for ijk in [(0, 0, 0), (4, 5, 3), (1, 2, 1)]:
        lps = np.asarray(ref.TransformIndexToPhysicalPoint(ijk))
        np.testing.assert_allclose(_world(img.geometry.affine, ijk), lps * [-1, -1, 1], atol=1e-4)
    np.testing.assert_array_equal(img.array, sitk.GetArrayFromImage(ref).transpose(2, 1, 0))
    assert read_geometry(folder).matches(img.geometry, atol=1e-9)


def test_missing_slice_is_an_error(tmp_path):
    volume = ramp_volume(n=5)
    positions = [(0.0, 0.0, z) for z in (0.0, 2.0, 4.0, 8.0, 10.0)]
    folder = write_series(tmp_path / "gap", volume, positions=positions)
    with pytest.raises(MedsslError, match="not evenly spaced") as err:
        read_image(folder)
    text = str(err.value)
    assert str(folder) in text and "4 and 8 mm" in text and "uniform slice spacing" in text
    assert "\n" not in text


def test_scout_with_another_orientation_is_an_error(tmp_path):
    folder = write_series(tmp_path / "ct", ramp_volume())
    write_slice(
        folder / "scout.dcm", np.zeros((6, 5), np.int16), position=(0, 0, 16.5),
        orientation=CORONAL,
    )  # fmt: skip
    with pytest.raises(MedsslError, match="scout") as err:
        read_image(folder)
    assert "scout.dcm" in str(err.value) and "one orientation" in str(err.value)


def test_localizer_image_type_is_an_error(tmp_path):
    folder = write_series(tmp_path / "ct", ramp_volume())
    write_slice(
        folder / "loc.dcm", np.zeros((6, 5), np.int16), position=(-10, 20, 21.5),
        image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
    )  # fmt: skip
    with pytest.raises(MedsslError, match="LOCALIZER") as err:
        read_image(folder)
    assert "loc.dcm" in str(err.value)


def test_duplicate_positions_are_an_error(tmp_path):
    positions = [(0.0, 0.0, z) for z in (0.0, 2.0, 2.0, 4.0)]
    folder = write_series(tmp_path / "dup", ramp_volume(), positions=positions)
    with pytest.raises(MedsslError, match="same position"):
        read_image(folder)


def test_gantry_tilt_is_refused(tmp_path):
    # each slice 2 mm up and 0.5 mm posterior: a 14 degree tilt
    positions = [(0.0, 0.5 * k, 2.0 * k) for k in range(4)]
    folder = write_series(tmp_path / "tilt", ramp_volume(), positions=positions)
    with pytest.raises(MedsslError, match="gantry tilt") as err:
        read_image(folder)
    assert str(folder) in str(err.value) and "14" in str(err.value)


def test_single_slice_is_not_a_volume(tmp_path):
    folder = write_series(tmp_path / "one", ramp_volume(n=1))
    with pytest.raises(MedsslError, match="single slice is not a 3D volume"):
        read_image(folder)
    with pytest.raises(MedsslError, match="single DICOM file is not a 3D volume"):
        read_image(folder / "slice000.dcm")


def test_several_series_listed_and_chosen(tmp_path):
    folder = tmp_path / "mixed"
    write_series(folder, ramp_volume(n=4), series_uid=UID_A, description="body", names=[
        f"a{k}.dcm" for k in range(4)])  # fmt: skip
    write_series(folder, ramp_volume(n=3) + 1000, series_uid=UID_B, description="lung", names=[
        f"b{k}.dcm" for k in range(3)])  # fmt: skip
    with pytest.raises(MedsslError, match="--series UID") as err:
        read_image(folder)
    text = str(err.value)
    assert f"{UID_A} 'body' (4 slices)" in text and f"{UID_B} 'lung' (3 slices)" in text
    assert {(s.uid, s.count) for s in list_series(folder)} == {(UID_A, 4), (UID_B, 3)}
    img = read_image(folder, series=UID_B, dtype=None)
    assert img.geometry.shape == (5, 6, 3) and img.array.min() >= 1000
    with pytest.raises(MedsslError, match="no DICOM series with UID 9.9"):
        read_image(folder, series="9.9")


def test_cli_info_series_option(tmp_path, capsys):
    from medssl.cli.main import main

    folder = tmp_path / "mixed"
    write_series(folder, ramp_volume(n=4), series_uid=UID_A, names=[f"a{k}" for k in range(4)])
    write_series(folder, ramp_volume(n=3), series_uid=UID_B, names=[f"b{k}" for k in range(3)])
    with pytest.raises(SystemExit) as exc:
        main(["info", str(folder)])
    assert exc.value.code == 2
    assert UID_A in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["info", str(folder), "--series", UID_B])
    assert exc.value.code == 0
    assert "shape (5, 6, 3)" in capsys.readouterr().out


@pytest.mark.parametrize("rel", ["body/totalseg_ct_dicom", "body/ircadb_p1/PATIENT_DICOM"])
def test_real_series_grid_matches_itk(shared_data, rel):
    folder = shared_data / rel
    if not folder.is_dir():
        pytest.skip(f"{folder} not available")
    img = read_image(folder, dtype=None)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    ref = reader.Execute()
    assert img.geometry.shape == ref.GetSize()
    last = tuple(n - 1 for n in ref.GetSize())
    for ijk in [(0, 0, 0), last, (100, 200, last[2] // 2)]:
        lps = np.asarray(ref.TransformIndexToPhysicalPoint(ijk))
        np.testing.assert_allclose(_world(img.geometry.affine, ijk), lps * [-1, -1, 1], atol=1e-3)
    np.testing.assert_array_equal(img.array, sitk.GetArrayFromImage(ref).transpose(2, 1, 0))


def test_real_series_with_a_missing_slice(shared_data, tmp_path):
    import shutil

    source = shared_data / "body/totalseg_ct_dicom"
    folder = tmp_path / "gap"
    folder.mkdir()
    for i, f in enumerate(sorted(source.iterdir())[:8]):
        if i != 4:
            shutil.copy(f, folder / f.name)
    with pytest.raises(MedsslError, match="not evenly spaced"):
        read_image(folder)

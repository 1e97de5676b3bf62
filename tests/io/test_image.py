"""Round trips and bad inputs for medssl.io (every format, every orientation)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from medssl.errors import MedsslError
from medssl.io import Geometry, output_name, read_image, read_label, write_image

ORIENTATIONS = {
    "RAS": np.diag([1.0, 1.2, 2.0, 1.0]),
    "LAS": np.diag([-1.0, 1.2, 2.0, 1.0]),
    "LPS": np.diag([-1.0, -1.2, 2.0, 1.0]),
}


def oblique_affine() -> np.ndarray:
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ np.array(
        [[1, 0, 0], [0, np.cos(0.2), -np.sin(0.2)], [0, np.sin(0.2), np.cos(0.2)]]
    )
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([0.8, 1.1, 2.5])
    affine[:3, 3] = [-30.5, 12.25, 7.0]
    return affine


def _save_nifti(path: Path, array: np.ndarray, affine: np.ndarray) -> None:
    nib.save(nib.Nifti1Image(array, affine), str(path))


@pytest.mark.parametrize("name", [*ORIENTATIONS, "oblique"])
@pytest.mark.parametrize("ext", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_round_trip_every_orientation_and_format(tmp_path, blob, name, ext):
    image, label = blob
    affine = oblique_affine() if name == "oblique" else ORIENTATIONS[name].copy()
    affine[:3, 3] += [10.0, -5.0, 3.0]
    src = tmp_path / "src.nii.gz"
    _save_nifti(src, image, affine)
    img = read_image(src)
    assert "".join(img.geometry.axcodes) == "".join(nib.aff2axcodes(affine))
    out = tmp_path / f"mask{ext}"
    write_image(label, img.geometry, out)
    back = read_label(out)
    assert back.geometry.shape == img.geometry.shape
    np.testing.assert_allclose(back.geometry.affine, affine, atol=1e-4)
    np.testing.assert_array_equal(back.array, label)


def test_world_coordinates_agree_between_nibabel_and_itk(tmp_path, blob):
    """A voxel maps to the same world point (RAS via nibabel, LPS via ITK)."""
    image, _ = blob
    affine = oblique_affine()
    src = tmp_path / "src.nii.gz"
    _save_nifti(src, image, affine)
    itk = sitk.ReadImage(str(src))
    ijk = (3, 7, 5)
    lps = np.asarray(itk.TransformIndexToPhysicalPoint(ijk))
    ras = affine @ np.array([*ijk, 1.0])
    np.testing.assert_allclose(lps * [-1, -1, 1], ras[:3], atol=1e-3)
    mha = tmp_path / "x.mha"
    write_image(image, read_image(src).geometry, mha)
    np.testing.assert_allclose(read_image(mha).array, image)


@pytest.mark.parametrize(
    "rel",
    [
        "brats_dev/brats_2013_pat0003_1/label.nii.gz",
        "body/spleen_8/label.nii.gz",
        "body/totalseg_mr/seg_predicted.nii.gz",
        "body/totalseg_ct/seg_predicted.nii.gz",
    ],
)
def test_real_labels_round_trip_every_format(shared_data, tmp_path, rel):
    label = read_label(shared_data / rel)
    for ext in (".nii.gz", ".nrrd", ".mha"):
        out = tmp_path / f"copy{ext}"
        write_image(label.array, label.geometry, out)
        back = read_label(out)
        assert back.geometry.matches(label.geometry, atol=1e-4), ext
        np.testing.assert_array_equal(back.array, label.array)
        # re-reading through the other library gives the same world grid
        g2 = read_image(out).geometry
        assert g2.axcodes == label.geometry.axcodes


def test_real_image_in_nrrd_and_mha_reads_back_into_own_grid(shared_data, tmp_path):
    """A real scan converted to NRRD/MHA by SimpleITK itself (not by medssl) keeps its grid."""
    src = shared_data / "body/totalseg_mr/mr.nii.gz"
    ref = read_image(src)
    for ext in (".nrrd", ".mha"):
        converted = tmp_path / f"mr{ext}"
        sitk.WriteImage(sitk.ReadImage(str(src)), str(converted))
        img = read_image(converted)
        assert img.geometry.matches(ref.geometry, atol=1e-4)
        np.testing.assert_allclose(img.array, ref.array)
        mask = (img.array > np.percentile(img.array, 90)).astype(np.uint8)
        out = tmp_path / f"pred_{ext[1:]}{ext}"
        write_image(mask, img.geometry, out)
        back = read_label(out)
        assert back.geometry.matches(img.geometry, atol=1e-4)
        np.testing.assert_array_equal(back.array, mask)


def test_dicom_series_matches_itk_and_round_trips(shared_data, tmp_path):
    folder = shared_data / "body/totalseg_ct_dicom"
    img = read_image(folder)
    assert img.geometry.shape[2] == 20
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    ref = reader.Execute()
    # the first and last slice centres are where ITK puts them (LPS → RAS)
    for ijk in [(0, 0, 0), (511, 0, 19), (100, 200, 10)]:
        lps = np.asarray(ref.TransformIndexToPhysicalPoint(ijk))
        ras = img.geometry.affine @ np.array([*ijk, 1.0])
        np.testing.assert_allclose(lps * [-1, -1, 1], ras[:3], atol=1e-3)
    mask = (img.array > 100).astype(np.uint8)
    out = tmp_path / output_name(folder)
    assert out.name == "totalseg_ct_dicom.nii.gz"
    write_image(mask, img.geometry, out)
    back = read_label(out)
    assert back.geometry.matches(img.geometry, atol=1e-4)
    np.testing.assert_array_equal(back.array, mask)
    # and the NIfTI overlays the DICOM in ITK's world too
    itk_back = sitk.ReadImage(str(out))
    np.testing.assert_allclose(itk_back.GetOrigin(), ref.GetOrigin(), atol=1e-3)
    np.testing.assert_allclose(itk_back.GetDirection(), ref.GetDirection(), atol=1e-5)


# ---------------------------------------------------------------------------- bad input


def test_missing_path(tmp_path):
    with pytest.raises(MedsslError, match="file not found"):
        read_image(tmp_path / "nope.nii.gz")


def test_truncated_nifti(tmp_path, blob):
    src = tmp_path / "ok.nii.gz"
    _save_nifti(src, blob[0], np.eye(4))
    data = src.read_bytes()
    bad = tmp_path / "truncated.nii.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(MedsslError, match=r"truncated\.nii\.gz.*corrupt"):
        read_image(bad)


def test_corrupt_gzip_header(tmp_path):
    bad = tmp_path / "garbage.nii.gz"
    bad.write_bytes(gzip.compress(b"not a nifti header at all" * 20))
    with pytest.raises(MedsslError, match="garbage.nii.gz"):
        read_image(bad)


def test_non_image_file(tmp_path):
    bad = tmp_path / "notes.mha"
    bad.write_text("hello, this is text")
    with pytest.raises(MedsslError, match="notes.mha"):
        read_image(bad)


def test_2d_image(tmp_path):
    path = tmp_path / "slice.nii.gz"
    _save_nifti(path, np.zeros((8, 9), np.float32), np.eye(4))
    with pytest.raises(MedsslError, match="expected a 3D image"):
        read_image(path)


def test_2d_itk_image(tmp_path):
    path = tmp_path / "slice.mha"
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((8, 9), np.float32)), str(path))
    with pytest.raises(MedsslError, match="2D"):
        read_image(path)


def test_4d_needs_channel(tmp_path, blob):
    path = tmp_path / "multi.nii.gz"
    _save_nifti(path, np.stack([blob[0], 2 * blob[0]], axis=-1), np.eye(4))
    with pytest.raises(MedsslError, match="choose one with --channel"):
        read_image(path)
    np.testing.assert_allclose(read_image(path, channel=1).array, 2 * blob[0])
    with pytest.raises(MedsslError, match="channel must be in 0..1; got 2"):
        read_image(path, channel=2)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_nonfinite_voxels(tmp_path, blob, bad_value):
    image = blob[0].copy()
    image[3, 4, 5] = bad_value
    path = tmp_path / "nan.nii.gz"
    _save_nifti(path, image, np.eye(4))
    with pytest.raises(MedsslError, match="1 NaN or Inf"):
        read_image(path)


def test_empty_label_when_required(tmp_path):
    path = tmp_path / "empty.nii.gz"
    _save_nifti(path, np.zeros((8, 8, 8), np.uint8), np.eye(4))
    with pytest.raises(MedsslError, match="label is empty"):
        read_label(path, require_foreground=True)


def test_write_shape_mismatch(tmp_path):
    geometry = Geometry((4, 4, 4), np.eye(4), "ref.nii.gz")
    with pytest.raises(MedsslError, match="differs from the grid"):
        write_image(np.zeros((4, 4, 5)), geometry, tmp_path / "x.nii.gz")


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    geometry = Geometry((4, 4, 4), np.eye(4), "ref.nii.gz")
    with pytest.raises(MedsslError, match="cannot create output folder .*a_file/sub"):
        write_image(np.zeros((4, 4, 4)), geometry, blocker / "sub" / "x.nii.gz")
    with pytest.raises(MedsslError, match="is an existing file"):
        write_image(np.zeros((4, 4, 4)), geometry, blocker / "x.nii.gz")


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    import medssl.io.image as image_module

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(image_module, "_write_nifti", boom)
    geometry = Geometry((4, 4, 4), np.eye(4), "ref.nii.gz")
    with pytest.raises(MedsslError, match="disk full"):
        write_image(np.zeros((4, 4, 4)), geometry, tmp_path / "x.nii.gz")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_failed_write(tmp_path, monkeypatch):
    import medssl.io.image as image_module

    geometry = Geometry((4, 4, 4), np.eye(4), "ref.nii.gz")
    target = tmp_path / "x.nii.gz"
    write_image(np.ones((4, 4, 4), np.uint8), geometry, target)
    monkeypatch.setattr(
        image_module, "_write_nifti", lambda *a: (_ for _ in ()).throw(OSError("x"))
    )
    with pytest.raises(MedsslError):
        write_image(np.zeros((4, 4, 4)), geometry, target)
    assert read_label(target).array.sum() == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.nii.gz"]


def test_dicom_folder_without_series(tmp_path):
    (tmp_path / "empty_dicom").mkdir()
    with pytest.raises(MedsslError, match="no DICOM series"):
        read_image(tmp_path / "empty_dicom")


def test_fractional_label(tmp_path):
    path = tmp_path / "prob.nii.gz"
    _save_nifti(path, np.full((4, 4, 4), 0.5, np.float32), np.eye(4))
    with pytest.raises(MedsslError, match="whole numbers"):
        read_label(path)


def test_partial_dicom_series_reads_its_slices(shared_data, tmp_path):
    folder = tmp_path / "two_series"
    folder.mkdir()
    for f in sorted((shared_data / "body/totalseg_ct_dicom").iterdir())[:3]:
        shutil.copy(f, folder / f.name)
    img = read_image(folder)
    assert img.geometry.shape[2] == 3


def test_outputs_get_normal_permissions(tmp_path):
    import os
    import stat

    geometry = Geometry((4, 4, 4), np.eye(4), "ref.nii.gz")
    out = write_image(np.zeros((4, 4, 4), np.uint8), geometry, tmp_path / "x.nii.gz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask

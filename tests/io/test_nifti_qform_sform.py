"""NIfTI qform/sform: read where ITK and 3D Slicer place the scan, write both equal."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from medssl.io import GeometryWarning, read_image, read_label, write_image


def _affine(offset, angle: float = 0.0) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    affine = np.eye(4)
    affine[:3, :3] = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ np.diag([1.0, 1.5, 2.0])
    affine[:3, 3] = offset
    return affine


def _save(path, qform, qcode, sform, scode, shape=(6, 5, 4)):
    img = nib.Nifti1Image(np.arange(np.prod(shape), dtype=np.float32).reshape(shape), None)
    img.set_qform(qform, code=qcode)
    img.set_sform(sform, code=scode)
    nib.save(img, str(path))
    return path


def _itk_world(path, ijk) -> np.ndarray:
    """World (RAS) position of voxel ``ijk`` as ITK (and so 3D Slicer) places it."""
    lps = np.asarray(sitk.ReadImage(str(path)).TransformIndexToPhysicalPoint(ijk))
    return lps * [-1, -1, 1]


def _world(geometry, ijk) -> np.ndarray:
    return (geometry.affine @ np.array([*ijk, 1.0]))[:3]


@pytest.mark.parametrize(
    ("qcode", "scode", "used"),
    [(1, 2, "qform"), (1, 3, "qform"), (1, 1, "sform"), (2, 1, "sform")],
)
def test_disagreeing_forms_follow_itk_and_warn(tmp_path, qcode, scode, used):
    qform, sform = _affine([10.0, -4.0, 3.0], 0.1), _affine([16.0, -4.0, 3.0], 0.1)
    src = _save(tmp_path / "scan.nii.gz", qform, qcode, sform, scode)
    with pytest.warns(GeometryWarning, match=f"disagree by up to 6 mm; medssl uses the {used}"):
        img = read_image(src)
    for ijk in [(0, 0, 0), (5, 4, 3), (2, 1, 3)]:
        np.testing.assert_allclose(_world(img.geometry, ijk), _itk_world(src, ijk), atol=1e-4)


def test_prediction_lands_on_the_scan_in_itk_and_slicer(tmp_path):
    """The mask written for a qform/sform-disagreeing scan overlays it in ITK/Slicer."""
    qform, sform = _affine([10.0, -4.0, 3.0], 0.3), _affine([16.0, -4.0, 3.0], 0.3)
    src = _save(tmp_path / "scan.nii.gz", qform, 1, sform, 2)
    with pytest.warns(GeometryWarning):
        img = read_image(src)
    out = write_image((img.array > 50).astype(np.uint8), img.geometry, tmp_path / "mask.nii.gz")
    scan, mask = sitk.ReadImage(str(src)), sitk.ReadImage(str(out))
    np.testing.assert_allclose(mask.GetOrigin(), scan.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(mask.GetDirection(), scan.GetDirection(), atol=1e-5)
    np.testing.assert_allclose(mask.GetSpacing(), scan.GetSpacing(), atol=1e-5)
    header = nib.load(str(out)).header
    qform_out, qcode_out = header.get_qform(coded=True)
    sform_out, scode_out = header.get_sform(coded=True)
    assert (int(qcode_out), int(scode_out)) == (1, 1)
    np.testing.assert_allclose(qform_out, sform_out, atol=1e-5)
    # nibabel-based tools read the output at the same place too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read_label(out)
    np.testing.assert_allclose(back.geometry.affine, img.geometry.affine, atol=1e-4)


@pytest.mark.parametrize(("qcode", "scode"), [(0, 2), (1, 0), (1, 2), (1, 1)])
def test_agreeing_or_single_form_reads_quietly(tmp_path, qcode, scode):
    affine = _affine([-30.0, 12.0, 7.5], 0.2)
    src = _save(tmp_path / "scan.nii.gz", affine, qcode, affine, scode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = read_image(src)
    np.testing.assert_allclose(img.geometry.affine, affine, atol=1e-4)
    np.testing.assert_allclose(
        _world(img.geometry, (5, 4, 3)), _itk_world(src, (5, 4, 3)), atol=1e-4
    )


@pytest.mark.parametrize("flip", [np.diag([-1.0, 1.0, 1.0, 1.0]), np.diag([1.0, -1.0, -1.0, 1.0])])
def test_cli_info_shows_the_itk_orientation(tmp_path, capsys, flip):
    """qform and sform (code 2) pointing different ways: info shows what ITK shows."""
    from medssl.cli.main import main

    src = _save(tmp_path / "scan.nii.gz", flip, 1, np.eye(4), 2)
    with pytest.warns(GeometryWarning), pytest.raises(SystemExit) as exc:
        main(["info", str(src)])
    assert exc.value.code == 0
    itk = sitk.ReadImage(str(src))
    direction = np.asarray(itk.GetDirection()).reshape(3, 3) * [[-1], [-1], [1]]
    codes = "".join(
        nib.orientations.aff2axcodes(np.block([[direction, np.zeros((3, 1))], [0, 0, 0, 1]]))
    )
    assert f"orientation {codes}" in capsys.readouterr().out


def test_cli_prints_the_warning_as_one_line(tmp_path):
    import os
    import subprocess
    import sys

    src = _save(tmp_path / "scan.nii.gz", _affine([10.0, 0, 0]), 1, _affine([16.0, 0, 0]), 2)
    result = subprocess.run(
        [sys.executable, "-m", "medssl.cli.main", "info", str(src)],
        check=False, capture_output=True, text=True, env=os.environ, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medssl: warning: ")
    assert str(src) in lines[0] and "qform" in lines[0]


def test_no_qform_no_sform_is_placed_as_itk_does(tmp_path):
    src = _save(tmp_path / "analyze_like.nii.gz", np.eye(4), 0, np.eye(4), 0)
    with pytest.warns(GeometryWarning, match="neither qform nor sform"):
        img = read_image(src)
    for ijk in [(0, 0, 0), (5, 4, 3)]:
        np.testing.assert_allclose(_world(img.geometry, ijk), _itk_world(src, ijk), atol=1e-4)


def test_rounding_sized_disagreement_is_quiet(tmp_path):
    qform, sform = _affine([10.0, 0, 0]), _affine([10.02, 0, 0])
    src = _save(tmp_path / "scan.nii.gz", qform, 2, sform, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_image(src)

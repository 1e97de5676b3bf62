"""``medssl evaluate``: files, folders, CSV, and one-line errors for bad input."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from medssl.cli.main import main
from medssl.io import Geometry, write_image

pytestmark = pytest.mark.filterwarnings("ignore")

AFFINE = np.diag([0.8, 0.8, 2.0, 1.0])


def run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _labels(blob) -> tuple[np.ndarray, np.ndarray]:
    _, gt = blob
    gt = gt.astype(np.uint8)
    gt[gt.shape[0] // 2 :] *= 2
    return np.roll(gt, 1, axis=1), gt


def _write(path: Path, array: np.ndarray, affine: np.ndarray = AFFINE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_image(array, Geometry(array.shape, affine), path)


@pytest.fixture
def pair(tmp_path, blob) -> tuple[Path, Path]:
    pred, gt = _labels(blob)
    return _write(tmp_path / "p.nii.gz", pred), _write(tmp_path / "case1.nii.gz", gt)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_two_files_with_groups_and_csv(pair, tmp_path, capsys):
    pred, gt = pair
    out = tmp_path / "new" / "metrics.csv"
    code, stdout, _ = run(
        ["evaluate", pred, gt, "--labels", "1,2,fg=1+2", "--out", out, "--nsd-tolerance", "2"],
        capsys,
    )
    assert code == 0
    assert "case1" in stdout and "mean ± std" in stdout
    rows = _read_csv(out)
    assert [(r["case"], r["label"]) for r in rows[:3]] == [
        ("case1", "1"),
        ("case1", "2"),
        ("case1", "fg"),
    ]
    assert {r["case"] for r in rows[3:]} == {"mean", "std", "n", "excluded"}
    assert 0.5 < float(rows[2]["dice"]) < 1.0 and float(rows[2]["hd95_mm"]) > 0
    assert not [p for p in out.parent.iterdir() if p.name != "metrics.csv"]  # no temp files


def test_folders(tmp_path, blob, capsys):
    pred, gt = _labels(blob)
    for name, p in (("a.nii.gz", pred), ("b.nii.gz", gt)):
        _write(tmp_path / "pred" / name, p)
        _write(tmp_path / "gt" / name, gt)
    out = tmp_path / "m.csv"
    code, _, _ = run(["evaluate", tmp_path / "pred", tmp_path / "gt", "--out", out], capsys)
    assert code == 0
    rows = _read_csv(out)
    per_case = [r for r in rows if r["case"] in ("a", "b")]
    assert len(per_case) == 4  # labels 1 and 2 in each case
    assert all(float(r["dice"]) == 1.0 for r in per_case if r["case"] == "b")


def test_unlisted_label_warns(pair, capsys):
    pred, gt = pair
    code, _, err = run(["evaluate", pred, gt, "--labels", "1"], capsys)
    assert code == 0 and "labels 2 present but not in --labels (in 1 case: case1)" in err


def test_empty_case_warns(tmp_path, blob, capsys):
    _, gt = _labels(blob)
    e = _write(tmp_path / "e.nii.gz", gt * 0)
    code, _, err = run(["evaluate", e, e], capsys)
    assert code == 0 and "both empty in 1 case (e)" in err


def _assert_one_line_error(code: int, err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and lines[0].startswith("medssl: error:"), err
    for needle in needles:
        assert needle in lines[0]


def test_geometry_mismatch(tmp_path, blob, capsys):
    pred, gt = _labels(blob)
    shifted = AFFINE.copy()
    shifted[0, 3] = 5.0
    p = _write(tmp_path / "p.nii.gz", pred, shifted)
    g = _write(tmp_path / "g.nii.gz", gt)
    code, _, err = run(["evaluate", p, g], capsys)
    _assert_one_line_error(code, err, "affines differ", "p.nii.gz", "g.nii.gz")


def test_shape_mismatch(tmp_path, blob, capsys):
    pred, gt = _labels(blob)
    p = _write(tmp_path / "p.nii.gz", pred[:-1])
    g = _write(tmp_path / "g.nii.gz", gt)
    code, _, err = run(["evaluate", p, g], capsys)
    _assert_one_line_error(code, err, "shapes differ")


def test_unmatched_folder_names(tmp_path, blob, capsys):
    _, gt = _labels(blob)
    _write(tmp_path / "pred" / "a.nii.gz", gt)
    _write(tmp_path / "pred" / "x.nii.gz", gt)
    _write(tmp_path / "gt" / "a.nii.gz", gt)
    _write(tmp_path / "gt" / "y.nii.gz", gt)
    code, _, err = run(["evaluate", tmp_path / "pred", tmp_path / "gt"], capsys)
    _assert_one_line_error(code, err, "x.nii.gz", "y.nii.gz", "unmatched")


def test_missing_path(pair, tmp_path, capsys):
    _, gt = pair
    code, _, err = run(["evaluate", tmp_path / "missing.nii.gz", gt], capsys)
    _assert_one_line_error(code, err, "not found", "missing.nii.gz")


def test_output_parent_is_a_file(pair, tmp_path, capsys):
    pred, gt = pair
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    code, _, err = run(["evaluate", pred, gt, "--out", blocker / "m.csv"], capsys)
    _assert_one_line_error(code, err, "blocker")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_output_folder_not_writable(pair, tmp_path, capsys):
    pred, gt = pair
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run(["evaluate", pred, gt, "--out", locked / "m.csv"], capsys)
    finally:
        locked.chmod(0o700)
    _assert_one_line_error(code, err, "not writable")


@pytest.mark.parametrize(
    "extra, needle",
    [(["--labels", "0"], "background"), (["--nsd-tolerance", "-1"], "nsd-tolerance")],
)
def test_bad_options(pair, capsys, extra, needle):
    pred, gt = pair
    code, _, err = run(["evaluate", pred, gt, *extra], capsys)
    _assert_one_line_error(code, err, needle)


def test_real_sample_case(tmp_path, capsys):
    """The shipped BraTS sample label against an eroded copy, through the CLI."""
    from scipy import ndimage

    from medssl.io import read_label
    from medssl.samples import sample_path

    gt = read_label(sample_path("brain_label"))
    pred = gt.array * ndimage.binary_erosion(gt.array > 0)
    p = write_image(pred, gt.geometry, tmp_path / "pat0006.nii.gz")
    out = tmp_path / "m.csv"
    code, _, _ = run(
        ["evaluate", p, gt.geometry.source, "--labels", "wt=1+2+3+4,et=4", "--out", out],
        capsys,
    )
    assert code == 0
    row = _read_csv(out)[0]
    assert row["label"] == "wt" and 0.7 < float(row["dice"]) < 0.95
    assert float(row["hd95_mm"]) >= 2.0  # one 2 mm voxel of erosion, measured in mm


def test_label_absent_from_both_maps_is_an_error(pair, tmp_path, capsys):
    pred, gt = pair
    out = tmp_path / "m.csv"
    code, stdout, err = run(["evaluate", pred, gt, "--labels", "1,et=4", "--out", out], capsys)
    _assert_one_line_error(code, err, "et=4", "no prediction", "p.nii.gz", "case1.nii.gz")
    assert not out.exists() and "1.0000" not in stdout


def test_label_absent_in_one_case_of_a_batch_scores_both_empty(tmp_path, blob, capsys):
    _, gt = _labels(blob)
    _write(tmp_path / "pred" / "a.nii.gz", gt)
    _write(tmp_path / "gt" / "a.nii.gz", gt)
    _write(tmp_path / "pred" / "b.nii.gz", (gt > 0).astype(np.uint8))
    _write(tmp_path / "gt" / "b.nii.gz", (gt > 0).astype(np.uint8))
    out = tmp_path / "m.csv"
    code, _, _ = run(
        ["evaluate", tmp_path / "pred", tmp_path / "gt", "--labels", "2", "--out", out], capsys
    )
    assert code == 0
    assert [float(r["dice"]) for r in _read_csv(out) if r["case"] in "ab"] == [1.0, 1.0]


def test_empty_prediction_gives_nan_hd95_a_count_and_a_finite_mean(tmp_path, blob, capsys):
    _, gt = _labels(blob)
    shifted = np.roll(gt, 1, axis=1)
    _write(tmp_path / "pred" / "a.nii.gz", shifted)
    _write(tmp_path / "gt" / "a.nii.gz", gt)
    _write(tmp_path / "pred" / "b.nii.gz", gt * 0)
    _write(tmp_path / "gt" / "b.nii.gz", gt)
    out = tmp_path / "m.csv"
    code, stdout, err = run(
        ["evaluate", tmp_path / "pred", tmp_path / "gt", "--labels", "wt=1+2", "--out", out],
        capsys,
    )
    assert code == 0
    assert "label wt: empty prediction in 1 case (b)" in " ".join(err.split())
    rows = {r["case"]: r for r in _read_csv(out)}
    assert rows["b"]["hd95_mm"] == "nan" and float(rows["a"]["hd95_mm"]) > 0
    assert rows["mean"]["hd95_mm"] == rows["a"]["hd95_mm"]
    assert (rows["n"]["hd95_mm"], rows["excluded"]["hd95_mm"]) == ("1", "1")
    assert rows["n"]["dice"] == "2"
    assert float(rows["mean"]["dice"]) == pytest.approx(float(rows["a"]["dice"]) / 2, rel=1e-5)
    assert " inf " not in stdout and "(n=2)" in stdout and "0.00 (n=1)" in stdout

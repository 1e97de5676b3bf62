"""``--series UID`` picks one series of a DICOM folder holding several, in every command."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "io"))
sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

from dicom_helpers import write_series
from zs_helpers import brain_like, save_seg_model

from medssl.cli.main import main
from medssl.io import read_image

UID_A = "1.2.826.0.1.3680043.8.498.11"
UID_B = "1.2.826.0.1.3680043.8.498.12"


def run(args: list, capsys) -> tuple[int, str, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_series(tmp_path) -> Path:
    """A folder with two series of different sizes: A is 28x24x20, B is 24x20x16."""
    folder = tmp_path / "study"
    a, _ = brain_like((28, 24, 20))
    b, _ = brain_like((24, 20, 16), seed=1)
    write_series(
        folder, a.astype(np.int16), series_uid=UID_A, names=[f"a{k:03d}.dcm" for k in range(20)]
    )
    write_series(
        folder, b.astype(np.int16), series_uid=UID_B, names=[f"b{k:03d}.dcm" for k in range(16)]
    )
    return folder


def test_segment_reads_the_chosen_series(two_series, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run(["segment", two_series, "--out", out, "--baseline", "zscore"], capsys)
    assert code == 2 and "--series" in err and UID_A in err and not out.exists()
    code, _, err = run(
        ["segment", two_series, "--out", out, "--baseline", "zscore", "--series", UID_B], capsys
    )
    assert code == 0, err
    mask = read_image(out / "study.nii.gz", dtype=None)
    assert mask.geometry.matches(read_image(two_series, series=UID_B).geometry)


def test_predict_reads_the_chosen_series(two_series, tmp_path, capsys):
    model = save_seg_model(tmp_path / "seg.pt")
    out = tmp_path / "pred"
    code, _, err = run(["predict", two_series, "--model", model, "--out", out], capsys)
    assert code == 2 and "--series" in err
    code, _, err = run(
        ["predict", two_series, "--model", model, "--out", out, "--series", UID_A], capsys
    )
    assert code == 0, err
    mask = read_image(out / "study.nii.gz", dtype=None)
    assert mask.geometry.matches(read_image(two_series, series=UID_A).geometry)


def test_finetune_reads_the_chosen_series(two_series, tmp_path, capsys):
    from medssl.io import write_image

    grid = read_image(two_series, series=UID_B).geometry
    label = np.zeros(grid.shape, np.uint8)
    label[8:16, 8:14, 4:12] = 1
    write_image(label, grid, tmp_path / "label.nii.gz")
    csv = tmp_path / "train.csv"
    csv.write_text(f"id,image,label\nc0,{two_series},{tmp_path / 'label.nii.gz'}\n")
    out = tmp_path / "run"
    args = [
        "finetune", "--train", csv, "--out", out, "--model", "unet3d_tiny", "--num-workers", "0",
        "--steps", "1", "--batch-size", "1", "--patch", "16,16,16", "--precision", "fp32",
        "--no-augment", "--set", "progress=false", "--set", f"cache={tmp_path / 'cache'}",
    ]  # fmt: skip
    code, _, err = run(args, capsys)
    assert code == 2 and "--series" in err and UID_B in err
    code, _, err = run([*args, "--series", UID_B], capsys)
    assert code == 0, err
    assert (out / "model.pt").is_file()


def volumes_grid(folder: Path):
    from medssl.io import Geometry

    return Geometry((4, 4, 4), np.eye(4), str(folder))


def test_pretrain_volumes_read_the_chosen_series(two_series, tmp_path):
    from medssl.cli.pretrain import records_from_specs
    from medssl.data.volumes import VolumeOptions, load_volumes
    from medssl.errors import MedsslError

    options = VolumeOptions(preset="none", cache=str(tmp_path / "cache"))
    with pytest.raises(MedsslError, match="--series"):
        load_volumes(records_from_specs([str(two_series)]), options)
    volumes = load_volumes(records_from_specs([str(two_series)], series=UID_A), options)
    assert volumes.n_volumes == 1
    from medssl.io import write_image

    nifti = write_image(
        np.ones((4, 4, 4), np.float32), volumes_grid(two_series), tmp_path / "x.nii"
    )
    with pytest.raises(MedsslError, match="only to DICOM folders"):
        records_from_specs([str(nifti)], series=UID_A)


def test_dicom_mask_label_is_checked_against_the_chosen_series(two_series, tmp_path):
    from medssl.data import Record, validate_records
    from medssl.preprocess import Pipeline, PreprocessCache

    mask = np.zeros((28, 24, 20), np.uint8)
    mask[8:16, 8:14, 4:12] = 255
    masks = tmp_path / "MASKS_DICOM"
    write_series(masks / "tumour", mask, names=[f"m{k:03d}" for k in range(20)])
    spec = f"{masks}::tumour=1"
    record = Record("c0", two_series, Path(spec), series=UID_A)
    validate_records([record], require_label=True)
    sample = PreprocessCache(tmp_path / "cache").get(two_series, Pipeline([]), spec, series=UID_A)
    assert int(sample.label.sum()) == 8 * 6 * 8

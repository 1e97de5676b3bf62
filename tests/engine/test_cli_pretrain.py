"""``medssl pretrain``: flags, --set, --config, --resume and one-line errors."""

from __future__ import annotations

import csv

import nibabel as nib
import numpy as np
import pytest
from tiny_method import TinyMethod

from medssl.cli.main import main
from medssl.methods import METHODS


@pytest.fixture(autouse=True)
def _tiny_cli_method(monkeypatch):
    """Register the tiny method for these tests only (the registry is left as it was)."""
    from medssl.methods.base import _ensure_builtin_methods

    _ensure_builtin_methods()
    monkeypatch.setitem(METHODS._items, "tiny_cli", TinyMethod)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        nib.save(
            nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)), folder / f"case{i}.nii.gz"
        )
    return folder


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr()


def test_pretrain_then_resume(images, tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("precision: fp32\nlog_every: 1\nprogress: false\nmodel: tinynet\n")
    out = tmp_path / "run"
    base = [
        "pretrain",
        "--method",
        "tiny_cli",
        str(images),
        "--out",
        str(out),
        "--config",
        str(cfg),
        "--num-workers",
        "0",
        "--set",
        "ckpt_every=1",
        "--set",
        "method_options.n=4",
    ]
    code, io = _run([*base, "--steps", "2"], capsys)
    assert code in (0, None), io.err
    assert "trained 2 steps" in io.out
    code, io = _run([*base, "--steps", "3", "--resume"], capsys)
    assert code in (0, None), io.err
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["step"] for r in rows] == ["1", "2", "3"]
    assert "case0.nii.gz" in (out / "model_card.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--resume"], "no checkpoint to resume from"),
        (["--set", "optimizer=adamax"], "unknown optimizer 'adamax'; valid: adam"),
        (["--batch-size", "0"], "batch_size must be >= 1"),
        (["--set", "bogus=1"], "unknown key 'bogus'"),
    ],
)
def test_bad_input_is_one_line_on_stderr(images, tmp_path, capsys, extra, message):
    args = [
        "pretrain",
        "--method",
        "tiny_cli",
        str(images),
        "--out",
        str(tmp_path / "r"),
        "--steps",
        "1",
        "--set",
        "progress=false",
        *extra,
    ]
    code, io = _run(args, capsys)
    assert code == 2
    assert message in io.err and len(io.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--set", "method_options.crop_shape=[20,16,16]"],
            "method_options.crop_shape (20, 16, 16) must be multiples of 8, the size divisor",
        ),
        (["--set", "method_options.crop=16"], "unknown option 'crop' for method 'genesis'"),
        (["--set", "method_options.pad=maybe"], "option 'pad' of method 'genesis' must be"),
    ],
)
def test_bad_method_options_are_one_line_before_any_data_is_read(
    images, tmp_path, capsys, extra, message
):
    args = ["pretrain", "--method", "genesis", str(images), "--out", str(tmp_path / "r")]
    code, io = _run([*args, "--set", "model=unet3d", *extra], capsys)
    assert code == 2
    assert message in io.err and len(io.err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_unknown_method_lists_valid_ones(images, tmp_path, capsys):
    code, io = _run(["pretrain", "--method", "nope", str(images), "--out", str(tmp_path)], capsys)
    assert code == 2 and "unknown method 'nope'" in io.err and "tiny_cli" in io.err

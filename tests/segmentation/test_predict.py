"""medssl predict through the inference loop: inputs kept, names, channels, weights alone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

from zs_helpers import brain_like, oblique_affine, save_seg_model, write_nifti

from medssl.io import read_image


@pytest.fixture(scope="module")
def seg_model(tmp_path_factory) -> Path:
    return save_seg_model(tmp_path_factory.mktemp("run") / "model.pt")


def _cli(args, capsys):
    from medssl.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr().err


def _predict(images, out, model, capsys, *extra):
    args = ["predict", *map(str, images), "--model", str(model), "--out", str(out)]
    return _cli([*args, "--precision", "fp32", "--device", "cpu", *extra], capsys)


def test_predict_refuses_to_overwrite_the_scan(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "x.nii.gz", image, oblique_affine())
    before = path.read_bytes()
    code, err = _predict([path], tmp_path, seg_model, capsys)
    assert code == 2 and "would overwrite the input" in err
    assert path.read_bytes() == before


def test_predict_names_cases_by_folder_and_strips_channel_suffix(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    paths = []
    for case in ("case1", "case2"):
        (tmp_path / case).mkdir()
        paths.append(write_nifti(tmp_path / case / "flair.nii.gz", image, np.eye(4)))
    paths.append(write_nifti(tmp_path / "case3_0000.nii.gz", image, np.eye(4)))
    code, err = _predict(paths, tmp_path / "pred", seg_model, capsys)
    assert code in (0, None), err
    names = sorted(p.name for p in (tmp_path / "pred").iterdir())
    assert names == ["case1.nii.gz", "case2.nii.gz", "case3.nii.gz"]


def test_predict_channel(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    four_d = write_nifti(tmp_path / "m.nii.gz", np.stack([image * 0 + 1, image], -1), np.eye(4))
    single = write_nifti(tmp_path / "s.nii.gz", image, np.eye(4))
    code, err = _predict([four_d], tmp_path / "a", seg_model, capsys)
    assert code == 2 and "choose one with --channel" in err
    assert _predict([four_d], tmp_path / "a", seg_model, capsys, "--channel", "1")[0] in (0, None)
    assert _predict([single], tmp_path / "b", seg_model, capsys)[0] in (0, None)
    np.testing.assert_array_equal(
        read_image(tmp_path / "a" / "m.nii.gz").array, read_image(tmp_path / "b" / "s.nii.gz").array
    )


def test_weights_copied_out_of_the_run_predict_identically(tmp_path, seg_model, capsys):
    (seg_model.parent / "config.yaml").write_text("model: unet3d\npatch_size: [64, 64, 64]\n")
    copy = tmp_path / "alone" / "weights.pt"
    copy.parent.mkdir()
    shutil.copy(seg_model, copy)
    image, _ = brain_like()
    scan = write_nifti(tmp_path / "scan.nii.gz", image, oblique_affine())
    for name, model in (("a", seg_model), ("b", copy)):
        assert _predict([scan], tmp_path / name, model, capsys)[0] in (0, None)
    a, b = (read_image(tmp_path / n / "scan.nii.gz", dtype=None) for n in "ab")
    assert a.geometry.matches(b.geometry)
    np.testing.assert_array_equal(a.array, b.array)


def test_predict_continue_on_error(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    good = write_nifti(tmp_path / "good.nii.gz", image, np.eye(4))
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"not an image")
    code, err = _predict([good, bad], tmp_path / "o", seg_model, capsys)
    assert code == 2 and "bad.nii.gz" in err and not (tmp_path / "o").exists()
    code, err = _predict([good, bad], tmp_path / "o", seg_model, capsys, "--continue-on-error")
    assert code == 2 and (tmp_path / "o" / "good.nii.gz").is_file()
    assert "1 of 2 inputs failed" in err.splitlines()[-1]


def test_predict_threads_must_be_positive(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    code, err = _predict([path], tmp_path / "o", seg_model, capsys, "--threads", "0")
    assert code == 2 and "--threads must be >= 1" in err


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_predict_on_cuda_matches_cpu(tmp_path, seg_model, capsys):
    image, _ = brain_like()
    scan = write_nifti(tmp_path / "scan.nii.gz", image, oblique_affine())
    args = ["predict", str(scan), "--model", str(seg_model), "--precision", "fp32"]
    for device in ("cpu", "cuda"):
        code, err = _cli([*args, "--out", str(tmp_path / device), "--device", device], capsys)
        assert code in (0, None), err
    cpu, gpu = (read_image(tmp_path / d / "scan.nii.gz", dtype=None).array for d in ("cpu", "cuda"))
    assert np.mean(cpu == gpu) > 0.999


@pytest.mark.parametrize(
    "option, message",
    [(["--overlap", "1.5"], "overlap must be in"), (["--precision", "fp16"], "precision must be")],
)
def test_bad_window_options_fail_before_any_output(tmp_path, seg_model, capsys, option, message):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    args = ["predict", str(path), "--model", str(seg_model), "--out", str(tmp_path / "o"), *option]
    code, err = _cli(args, capsys)
    assert code == 2 and message in err and not (tmp_path / "o").exists()

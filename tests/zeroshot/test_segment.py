"""medssl segment: masks land in each input's exact grid; every bad input has one clear error."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import brain_like, oblique_affine, save_ld_model, write_dicom_series, write_nifti

from medssl.errors import MedsslError
from medssl.io import Geometry, read_image, write_image
from medssl.zeroshot.segment import segment_files


def _segment(paths, out, model, **kwargs):
    return segment_files(paths, out, model=model, progress=False, **kwargs)


def _same_grid(mask_path, input_path):
    mask, image = read_image(mask_path, dtype=None), read_image(input_path)
    assert mask.geometry.shape == image.geometry.shape
    np.testing.assert_allclose(mask.geometry.affine, image.geometry.affine, atol=1e-4)
    assert set(np.unique(mask.array)) <= {0, 1}
    return mask.array


@pytest.mark.parametrize(
    "affine", [np.diag([-1.5, -1.5, 2.0, 1.0]), oblique_affine()], ids=["lps", "oblique"]
)
def test_mask_in_exact_input_grid(tmp_path, tiny_model, affine):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "case.nii.gz", image, affine)
    (written,) = _segment([path], tmp_path / "out", tiny_model, save_layers=True)
    assert written == tmp_path / "out" / "case.nii.gz"
    mask = _same_grid(written, path)
    assert not mask[image == 0].any()  # brain model: nothing outside the brain
    for layer in ("case_normal.nii.gz", "case_tumour.nii.gz"):
        got = read_image(tmp_path / "out" / layer)
        assert got.geometry.matches(read_image(path).geometry)


def test_dicom_folder_and_nrrd(tmp_path, tiny_model):
    image, _ = brain_like()
    folder = write_dicom_series(tmp_path / "series1", image.astype(np.int16))
    nrrd = write_image(image, Geometry(image.shape, oblique_affine()), tmp_path / "scan.nrrd")
    written = _segment([folder, nrrd], tmp_path / "out", tiny_model)
    assert [p.name for p in written] == ["series1.nii.gz", "scan.nrrd"]
    _same_grid(written[0], folder)
    _same_grid(written[1], nrrd)


def test_threshold_changes_mask(tmp_path, tiny_model):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    low = _segment([path], tmp_path / "lo", tiny_model, threshold=0.01)[0]
    high = _segment([path], tmp_path / "hi", tiny_model, threshold=0.99)[0]
    assert read_image(low).array.sum() >= read_image(high).array.sum()


def test_all_zero_image(tmp_path, tiny_model):
    path = write_nifti(tmp_path / "zero.nii.gz", np.zeros((16, 16, 16), np.float32), np.eye(4))
    with pytest.raises(MedsslError, match="no nonzero voxels.*zero.nii.gz"):
        _segment([path], tmp_path / "out", tiny_model)


def test_model_of_another_method(tmp_path):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    other = save_ld_model(tmp_path / "genesis.pt", method="genesis")
    with pytest.raises(
        MedsslError, match="genesis.pt holds weights of method 'genesis', expected 'ld'"
    ):
        _segment([path], tmp_path / "out", other)


def test_out_is_a_file(tmp_path, tiny_model):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    (tmp_path / "taken").write_text("x")
    with pytest.raises(MedsslError, match="is an existing file"):
        _segment([path], tmp_path / "taken", tiny_model)


def test_missing_model_file(tmp_path):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    with pytest.raises(MedsslError, match="model file not found: .*nope.pt"):
        _segment([path], tmp_path / "out", tmp_path / "nope.pt")


def test_shipped_model_not_trained_says_how(tmp_path, monkeypatch):
    from medssl.inference import ld_model

    monkeypatch.setattr(ld_model, "WEIGHTS_DIR", tmp_path / "weights")
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    with pytest.raises(MedsslError, match="no weights file yet.*medssl pretrain --method ld"):
        _segment([path], tmp_path / "out", None)


def test_ct_like_input_is_refused_unless_forced(tmp_path, tiny_model):
    image, _ = brain_like()
    ct = np.where(image > 0, image, -1000.0).astype(np.float32)
    path = write_nifti(tmp_path / "ct.nii.gz", ct, np.eye(4))
    with pytest.raises(MedsslError, match="ct.nii.gz .*Hounsfield.*--force") as err:
        _segment([path], tmp_path / "out", tiny_model)
    assert "\n" not in str(err.value) and not (tmp_path / "out").exists()
    notes: list[str] = []
    _segment([path], tmp_path / "out", tiny_model, warn=notes.append, force=True)
    assert any("Hounsfield" in n for n in notes)


def test_input_with_skull_is_refused_unless_forced(tmp_path, tiny_model):
    image = np.random.default_rng(0).uniform(50, 100, size=(16, 16, 16)).astype(np.float32)
    path = write_nifti(tmp_path / "t1_head.nii.gz", image, np.eye(4))
    with pytest.raises(MedsslError, match="t1_head.nii.gz .*not look like a skull-stripped"):
        _segment([path], tmp_path / "out", tiny_model)
    notes: list[str] = []
    _segment([path], tmp_path / "out", tiny_model, warn=notes.append, force=True)
    assert any("no zero (or constant) background" in n for n in notes)


def test_small_components_are_dropped_and_each_case_is_summarised(tmp_path, tiny_model):
    from medssl.inference.ld import drop_small, plausibility

    mask = np.zeros((20, 20, 20), np.uint8)
    mask[2:4, 2:4, 2:4] = 1  # 8 voxels of 8 mm³ = 64 mm³
    mask[10:16, 10:16, 10:16] = 1
    kept = drop_small(mask, 8.0, 100.0)
    assert kept[2, 2, 2] == 0 and kept[12, 12, 12] == 1
    summary = plausibility(kept, np.ones_like(mask, bool), 8.0)
    assert summary["components"] == 1 and abs(summary["volume_ml"] - 216 * 8 / 1000) < 1e-9
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    lines: list[str] = []
    _segment([path], tmp_path / "out", tiny_model, report=lines.append, warn=lambda t: None)
    assert (
        len(lines) == 1
        and "a.nii.gz" in lines[0]
        and "cm³" in lines[0]
        and "of the brain" in lines[0]
    )


def test_inputs_sharing_a_file_name_get_their_folder_names(tmp_path, tiny_model):
    image, _ = brain_like()
    paths = []
    for case in ("c1", "c2"):
        (tmp_path / case).mkdir()
        paths.append(
            write_nifti(tmp_path / case / "flair.nii.gz", image * (len(paths) + 1), np.eye(4))
        )
    written = _segment(paths, tmp_path / "out", tiny_model, save_layers=True)
    assert [p.name for p in written] == ["c1.nii.gz", "c2.nii.gz"]
    assert (tmp_path / "out" / "c2_normal.nii.gz").is_file()


def test_two_inputs_same_output_name(tmp_path, tiny_model):
    image, _ = brain_like()
    paths = []
    for top in ("a", "b"):
        (tmp_path / top / "case").mkdir(parents=True)
        paths.append(write_nifti(tmp_path / top / "case" / "flair.nii.gz", image, np.eye(4)))
    with pytest.raises(MedsslError, match="would both write .*case.nii.gz"):
        _segment(paths, tmp_path / "out", tiny_model)
    assert not (tmp_path / "out").exists()


def test_missing_input_fails_before_any_work(tmp_path, tiny_model):
    with pytest.raises(MedsslError, match="input image not found: .*nothing.nii.gz"):
        _segment([tmp_path / "nothing.nii.gz"], tmp_path / "out", tiny_model)
    assert not (tmp_path / "out").exists()


def test_baseline_has_no_layers(tmp_path):
    with pytest.raises(MedsslError, match="--baseline zscore gives a mask only"):
        _segment([tmp_path / "a.nii.gz"], tmp_path / "out", None, baseline="zscore", panel=True)


def test_unknown_baseline(tmp_path):
    with pytest.raises(MedsslError, match="unknown baseline 'otsu'; valid: zscore"):
        _segment([tmp_path / "a.nii.gz"], tmp_path / "out", None, baseline="otsu")


def test_baseline_refuses_bias_correction(tmp_path):
    with pytest.raises(MedsslError, match="--baseline zscore does not use it"):
        _segment(
            [tmp_path / "a.nii.gz"], tmp_path / "out", None, baseline="zscore",
            bias_correction="n4",
        )  # fmt: skip


def test_bias_correction_runs_in_the_pipeline_and_keeps_the_grid(tmp_path, tiny_model):
    from medssl.inference.ld import LDPredictor
    from medssl.inference.ld_model import load_ld_model

    image, _ = brain_like()
    path = write_nifti(tmp_path / "case.nii.gz", image, oblique_affine())
    (written,) = _segment([path], tmp_path / "out", tiny_model, bias_correction="n4")
    _same_grid(written, path)
    steps = LDPredictor(load_ld_model(tiny_model), bias_correction="n4").pipeline.steps
    assert "bias_correct" in [s.name for s in steps]
    with pytest.raises(MedsslError, match="bias correction must be one of n4, none"):
        _segment([path], tmp_path / "bad", tiny_model, bias_correction="yes")


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.2])
def test_bad_threshold(tmp_path, tiny_model, threshold):
    with pytest.raises(MedsslError, match="threshold must be in"):
        _segment([tmp_path / "a.nii.gz"], tmp_path / "out", tiny_model, threshold=threshold)


def test_cli_error_is_one_line(tmp_path, tiny_model, capsys):
    from medssl.cli.main import main

    path = write_nifti(tmp_path / "zero.nii.gz", np.zeros((8, 8, 8), np.float32), np.eye(4))
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(path), "--out", str(tmp_path / "out"), "--model", str(tiny_model)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("medssl: error: image has no nonzero voxels")


def test_cli_baseline_and_panel(tmp_path, tiny_model):
    pytest.importorskip("matplotlib")
    from medssl.cli.main import main

    image, _ = brain_like()
    path = write_nifti(tmp_path / "b.nii.gz", image, np.diag([-2.0, 2.0, 2.0, 1.0]))
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "segment",
                str(path),
                "--out",
                str(tmp_path / "base"),
                "--baseline",
                "zscore",
                "--z",
                "1.5",
            ]
        )
    assert exit_info.value.code in (0, None)
    _same_grid(tmp_path / "base" / "b.nii.gz", path)
    with pytest.raises(SystemExit):
        main(
            [
                "segment",
                str(path),
                "--out",
                str(tmp_path / "net"),
                "--model",
                str(tiny_model),
                "--panel",
            ]
        )
    png = tmp_path / "net" / "b_panel.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"


def _cli(args, capsys):
    from medssl.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr().err


def test_cli_refuses_to_overwrite_the_scan(tmp_path, tiny_model, capsys):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "x.nii.gz", image, np.eye(4))
    before = path.read_bytes()
    for extra in ([], ["--baseline", "zscore"]):
        code, err = _cli(["segment", str(path), "--out", str(tmp_path), *extra], capsys)
        assert code == 2 and "would overwrite the input" in err and str(path) in err
        assert path.read_bytes() == before


def test_cli_nnunet_names_pair_with_labels(tmp_path, capsys):
    image, blob = brain_like()
    (tmp_path / "imagesTs").mkdir()
    (tmp_path / "labelsTs").mkdir()
    for case in ("case1", "case2"):
        write_nifti(tmp_path / "imagesTs" / f"{case}_0000.nii.gz", image, np.eye(4))
        write_nifti(tmp_path / "labelsTs" / f"{case}.nii.gz", blob, np.eye(4))
    images = sorted(str(p) for p in (tmp_path / "imagesTs").iterdir())
    code, _ = _cli(
        ["segment", *images, "--out", str(tmp_path / "pred"), "--baseline", "zscore"], capsys
    )
    assert code in (0, None)
    assert sorted(p.name for p in (tmp_path / "pred").iterdir()) == ["case1.nii.gz", "case2.nii.gz"]
    metrics = tmp_path / "m.csv"
    code, err = _cli(
        ["evaluate", str(tmp_path / "pred"), str(tmp_path / "labelsTs"), "--out", str(metrics)],
        capsys,
    )
    assert code in (0, None), err
    assert "case1" in metrics.read_text() and "case2" in metrics.read_text()


def test_cli_channel_of_a_4d_scan(tmp_path, tiny_model, capsys):
    image, _ = brain_like()
    stack = np.stack([np.zeros_like(image), image], axis=-1)
    four_d = write_nifti(tmp_path / "multi.nii.gz", stack, np.eye(4))
    single = write_nifti(tmp_path / "single.nii.gz", image, np.eye(4))
    code, err = _cli(
        ["segment", str(four_d), "--out", str(tmp_path / "o"), "--model", str(tiny_model)], capsys
    )
    assert code == 2 and "choose one with --channel" in err
    args = ["--model", str(tiny_model), "--device", "cpu"]
    code, _ = _cli(
        ["segment", str(four_d), "--out", str(tmp_path / "o"), "--channel", "1", *args], capsys
    )
    assert code in (0, None)
    _cli(["segment", str(single), "--out", str(tmp_path / "s"), *args], capsys)
    np.testing.assert_array_equal(
        read_image(tmp_path / "o" / "multi.nii.gz").array,
        read_image(tmp_path / "s" / "single.nii.gz").array,
    )


def test_cli_continue_on_error(tmp_path, tiny_model, capsys):
    image, _ = brain_like()
    good = write_nifti(tmp_path / "good.nii.gz", image, np.eye(4))
    zero = write_nifti(tmp_path / "zero.nii.gz", np.zeros((8, 8, 8), np.float32), np.eye(4))
    out = tmp_path / "out"
    code, err = _cli(
        ["segment", str(good), str(zero), "--out", str(out), "--model", str(tiny_model)], capsys
    )
    assert code == 2 and not out.exists()  # validated up front: nothing written
    code, err = _cli(
        ["segment", str(good), str(zero), "--out", str(out), "--model", str(tiny_model),
         "--continue-on-error"],
        capsys,
    )  # fmt: skip
    assert code == 2 and (out / "good.nii.gz").is_file() and not (out / "zero.nii.gz").exists()
    assert f"failed input {zero}" in err and "1 of 2 inputs failed" in err.splitlines()[-1]


def test_cli_cuda_asked_for_but_absent(tmp_path, tiny_model, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    code, err = _cli(
        ["segment", str(path), "--out", str(tmp_path / "o"), "--model", str(tiny_model), "--device", "cuda"],
        capsys,
    )  # fmt: skip
    assert code == 2 and err.strip() == (
        "medssl: error: --device cuda was asked for, but no CUDA GPU is available here "
        "(torch.cuda.is_available() is False); use --device cpu"
    )


def test_panel_label_on_another_grid_fails_before_writing(tmp_path, tiny_model):
    pytest.importorskip("matplotlib")
    image, blob = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    label = write_nifti(tmp_path / "l.nii.gz", blob, np.diag([2.0, 1.0, 1.0, 1.0]))
    with pytest.raises(MedsslError, match="--label does not match the image: affines differ"):
        _segment([path], tmp_path / "out", tiny_model, panel=True, label=label)
    assert not (tmp_path / "out").exists()


def test_hysteresis_grows_only_from_confident_voxels():
    from medssl.inference.ld import hysteresis

    p = np.zeros((20, 20, 20), np.float32)
    p[2:8, 2:8, 2:8] = 0.2  # a faint region holding one confident voxel: kept whole
    p[4, 4, 4] = 0.9
    p[12:16, 12:16, 12:16] = 0.2  # faint, no confident voxel: dropped
    mask = hysteresis(p, 0.5, 0.1)
    assert mask[2:8, 2:8, 2:8].all() and not mask[12:16, 12:16, 12:16].any()
    np.testing.assert_array_equal(hysteresis(p, 0.5, 0.5), p >= 0.5)
    assert not hysteresis(np.zeros_like(p), 0.5, 0.1).any()


def test_components_under_a_share_of_the_largest_are_dropped():
    from medssl.inference.ld import drop_small

    mask = np.zeros((30, 30, 30), np.uint8)
    mask[1:11, 1:11, 1:11] = 1  # 1000 voxels: the largest
    mask[20:25, 20:25, 20:25] = 1  # 125: 12.5 % of it
    mask[20:24, 2:6, 2:6] = 1  # 64: 6.4 %
    mask[2:4, 20:22, 20:22] = 1  # 8: under the smallest volume
    kept = drop_small(mask, 1.0, 50.0, 0.1)
    assert kept[5, 5, 5] and kept[22, 22, 22] and not kept[21, 3, 3] and not kept[2, 20, 20]
    np.testing.assert_array_equal(drop_small(mask, 1.0, 0.0, 0.0), mask)
    # the share is of the largest component left after the volume floor
    assert drop_small(mask, 1.0, 2000.0, 0.1).sum() == 0


def test_the_component_filter_comes_from_the_weights_and_is_checked(tmp_path, tiny_model):
    from scipy import ndimage

    from medssl.zeroshot.package import package_weights

    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    rule = {"threshold": 0.45, "min_volume_mm3": 0.0}  # the tiny net's map: many pieces
    plain = read_image(_segment([path], tmp_path / "p", tiny_model, **rule)[0]).array
    strict = package_weights(tiny_model, tmp_path / "strict.pt", min_share=0.99)
    kept = read_image(_segment([path], tmp_path / "s", strict, **rule)[0]).array
    again = _segment([path], tmp_path / "o", strict, min_share=0.0, **rule)
    assert ndimage.label(plain)[1] > 1 and ndimage.label(kept)[1] == 1 and (kept <= plain).all()
    np.testing.assert_array_equal(read_image(again[0]).array, plain)
    with pytest.raises(MedsslError, match="min_share must be in"):
        _segment([path], tmp_path / "b", tiny_model, min_share=1.0)
    with pytest.raises(MedsslError, match="--min-share.*--baseline zscore does not use"):
        _segment([path], tmp_path / "z", tiny_model, baseline="zscore", min_share=0.1)


def test_grow_threshold_widens_the_mask_and_is_checked(tmp_path, tiny_model):
    image, _ = brain_like()
    path = write_nifti(tmp_path / "a.nii.gz", image, np.eye(4))
    plain = read_image(_segment([path], tmp_path / "p", tiny_model, threshold=0.5)[0]).array
    grown = _segment([path], tmp_path / "g", tiny_model, threshold=0.5, grow_threshold=0.01)
    grown = read_image(grown[0]).array
    assert (grown >= plain).all()
    with pytest.raises(MedsslError, match="grow threshold must be in"):
        _segment([path], tmp_path / "b", tiny_model, grow_threshold=1.0)
    with pytest.raises(MedsslError, match="--grow-threshold.*--baseline zscore does not use"):
        _segment([path], tmp_path / "z", tiny_model, baseline="zscore", grow_threshold=0.1)

"""Fine-tune → predict → evaluate on tiny volumes, and the bad inputs of both commands."""

from __future__ import annotations

import shlex
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.cli.main import main
from medssl.errors import MedsslError
from medssl.io import read_label
from medssl.segmentation.finetune import select_fraction

SHAPE = (28, 24, 20)


def _write_case(folder: Path, name: str, seed: int, affine: np.ndarray) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij")).astype(float)
    centre = np.array(SHAPE)[:, None, None, None] / 2 + rng.uniform(-3, 3, (3, 1, 1, 1))
    blob = (((grid - centre) / 5.0) ** 2).sum(0) < 1
    image = (100 + 50 * blob + rng.normal(0, 5, SHAPE)).astype(np.float32)
    label = (blob * 2).astype(np.uint8)
    label[blob & (grid[0] > centre[0, 0])] = 1
    img_path, lab_path = folder / f"{name}_img.nii.gz", folder / f"{name}_lab.nii.gz"
    nib.save(nib.Nifti1Image(image, affine), str(img_path))
    nib.save(nib.Nifti1Image(label, affine), str(lab_path))
    return img_path, lab_path


def _oblique() -> np.ndarray:
    c, s = np.cos(0.4), np.sin(0.4)
    affine = np.eye(4)
    affine[:3, :3] = np.array([[-c, s, 0], [-s, -c, 0], [0, 0, 1.0]]) @ np.diag([2.0, 2.0, 2.5])
    affine[:3, 3] = [20, -10, 5]
    return affine


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ft")
    lps = np.diag([-2.0, -2.0, 2.0, 1.0])
    rows = ["id,image,label"]
    for i in range(3):
        img, lab = _write_case(folder, f"c{i}", i, lps)
        rows.append(f"c{i},{img.name},{lab.name}")
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    return folder


def _run(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    if exc.value.code not in (0, None):
        raise MedsslError(f"exit code {exc.value.code}")


def _finetune_args(dataset: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    """A tiny ``medssl finetune`` command line on the fixture dataset (no --val-ids)."""
    return [
        "finetune", "--train", str(dataset / "train.csv"), "--labels", "fg=1+2",
        "--out", str(out), "--model", "unet3d_tiny", "--num-workers", "0",
        "--preset", "mri", "--set", f"cache={cache}", *extra,
    ]  # fmt: skip


def _finetune(dataset: Path, out: Path, *extra: str) -> None:
    options = shlex.split(
        "--val-ids c2 --steps 3 --batch-size 2 --patch 32,32,32 --spacing 2.0 --grid 32 "
        "--precision fp32 --set val_every=3 --set progress=false"
    )
    _run(_finetune_args(dataset, out, out.parent / "cache", *options, *extra))


def _exit_code(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


def _check_exports_share_one_state(run: Path) -> None:
    """model.pt and encoder.pt hold best.pt's weights and what predict needs."""
    import torch

    from medssl.engine import load_checkpoint
    from medssl.models import load_model, load_weights

    best = load_checkpoint(run / "checkpoints" / "best.pt")["model_state"]
    model, encoder = load_weights(run / "model.pt"), load_weights(run / "encoder.pt")
    assert (model.part, encoder.part) == ("model", "encoder")
    for wf in (model, encoder):
        assert wf.extra["checkpoint"] == "best.pt" and wf.extra["task"] == "segmentation"
        assert wf.extra["labels"] == "fg=1+2" and wf.extra["patch"] == [32, 32, 32]
        assert wf.extra["preprocess"]["steps"]
    assert model.config["out_channels"] == 2 and model.arch == "unet3d_tiny"
    for key, value in encoder.state_dict.items():
        assert torch.equal(value, best[f"encoder.{key}"])
        assert torch.equal(value, model.state_dict[f"encoder.{key}"])
    rebuilt = load_model(run / "model.pt")
    assert all(torch.equal(v, best[k]) for k, v in rebuilt.state_dict().items())


def test_finetune_then_predict_in_input_grid(dataset, tmp_path, capsys):
    run = tmp_path / "run"
    _finetune(dataset, run)
    assert (run / "model.pt").is_file() and (run / "checkpoints" / "best.pt").is_file()
    _check_exports_share_one_state(run)
    oblique_img, _ = _write_case(tmp_path, "obl", 9, _oblique())
    lps_img = dataset / "c2_img.nii.gz"
    _run(
        [
            "predict",
            str(lps_img),
            str(oblique_img),
            "--model",
            str(run / "model.pt"),
            "--out",
            str(tmp_path / "pred"),
            "--mirror",
            "--precision",
            "fp32",
        ]
    )
    for src in (lps_img, oblique_img):
        pred = read_label(tmp_path / "pred" / src.name)
        ref = nib.load(str(src))
        assert pred.geometry.shape == ref.shape
        np.testing.assert_allclose(pred.geometry.affine, ref.affine, atol=1e-4)
        assert set(np.unique(pred.array)) <= {0, 1}
    code, err = _exit_code(
        [
            "predict",
            str(lps_img),
            "--model",
            str(run / "encoder.pt"),
            "--out",
            str(tmp_path / "p2"),
        ],
        capsys,
    )
    assert code == 2 and "holds only an encoder" in err
    # --resume with nothing left to do keeps the run; a new run in the same folder is refused
    args = _finetune_args(dataset, run, tmp_path / "cache", "--steps", "1", "--patch", "16,16,16")
    code, err = _exit_code(args, capsys)
    assert code == 2 and "pass --resume" in err


def test_select_fraction_rules():
    assert select_fraction(10, 0.3, seed=1) == select_fraction(10, 0.3, seed=1)
    assert len(select_fraction(10, 0.3, seed=1)) == 3
    with pytest.raises(MedsslError, match="leaves 0 cases"):
        select_fraction(2, 0.1, seed=0)
    with pytest.raises(MedsslError, match=r"fraction must be in \(0, 1\]; got 1.5"):
        select_fraction(2, 1.5, seed=0)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--fraction", "0"], "fraction must be in"),
        (["--labels", "liver=7"], "liver=7 found in no training label"),
        (["--lr", "-1"], "lr must be a positive"),
        (["--patch", "16,0,16"], "patch size must be 3 positive integers"),
        (["--no-pad"], "No such option: --no-pad"),
        (["--patch", "20,16,16"], r"patch \(20, 16, 16\) must be multiples of 8, the size"),
        (["--resume"], "no checkpoint|not found|resume"),
        (["--set", "optimizer=adagrad"], "unknown optimizer 'adagrad'; valid"),
        (["--model", "vnet"], "unknown model 'vnet'; valid names"),
    ],
)
def test_finetune_bad_input(dataset, tmp_path, capsys, args, message):
    options = shlex.split("--val-ids c2 --steps 1 --patch 16,16,16 --spacing 2.0 --grid 32")
    base = _finetune_args(dataset, tmp_path / "run", tmp_path / "cache", *options)
    code, err = _exit_code(base + args, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(message, err), err


def test_predict_bad_model_file(tmp_path, capsys, dataset):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"not a checkpoint")
    code, err = _exit_code(
        [
            "predict",
            str(dataset / "c0_img.nii.gz"),
            "--model",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 2 and "model.pt" in err

"""finetune's run folder: changed options refused on --resume, a full disk is one line."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import yaml

from medssl.cli.main import main

SHAPE = (16, 16, 16)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    rows = ["id,image,label"]
    for i in range(2):
        rng = np.random.default_rng(i)
        label = np.zeros(SHAPE, np.uint8)
        label[4:10, 4:10, 4:10] = 1
        label[6:8, 6:8, 6:8] = 2
        image = (100 + 50 * (label > 0) + rng.normal(0, 5, SHAPE)).astype(np.float32)
        nib.save(nib.Nifti1Image(image, np.eye(4)), str(folder / f"c{i}_img.nii.gz"))
        nib.save(nib.Nifti1Image(label, np.eye(4)), str(folder / f"c{i}_lab.nii.gz"))
        rows.append(f"c{i},c{i}_img.nii.gz,c{i}_lab.nii.gz")
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    return folder


def _args(dataset: Path, out: Path, *extra: str) -> list[str]:
    return [
        "finetune", "--train", str(dataset / "train.csv"), "--out", str(out),
        "--model", "unet3d_tiny", "--num-workers", "0", "--preset", "mri", "--grid", "16",
        "--patch", "16,16,16", "--precision", "fp32", "--steps", "1", "--batch-size", "1",
        "--set", f"cache={out.parent / 'cache'}", "--set", "progress=false", *extra,
    ]  # fmt: skip


def _run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code, capsys.readouterr().err


def test_changed_labels_are_refused_before_preprocessing(dataset, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    code, err = _run(_args(dataset, out, "--labels", "fg=1+2"), capsys)
    assert code in (0, None), err
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["labels"] == "fg=1+2" and saved["method"] == "finetune"

    import medssl.segmentation.finetune as ft

    def no_preprocessing(*args, **kwargs):
        raise AssertionError("data preprocessed before the resume check")

    monkeypatch.setattr(ft, "prepare_cases", no_preprocessing)
    code, err = _run(_args(dataset, out, "--labels", "1,2", "--resume", "--lr", "0.1"), capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "labels 'fg=1+2' -> '1,2'; lr 0.0003 -> 0.1; pass --force" in err
    assert yaml.safe_load((out / "config.yaml").read_text()) == saved


def test_full_disk_when_writing_model_pt_is_one_line(dataset, tmp_path, capsys, monkeypatch):
    import errno
    import os

    import medssl.models

    real = medssl.models.save_weights

    def full(*args, **kwargs):
        if "task" in (kwargs.get("extra") or {}):  # finetune's own model.pt
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(medssl.models, "save_weights", full)
    out = tmp_path / "run"
    code, err = _run(_args(dataset, out, "--labels", "fg=1+2"), capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"cannot write {out / 'model.pt'}: No space left on device" in err
    assert (out / "checkpoints" / "last.pt").is_file()

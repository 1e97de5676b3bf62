"""The run folder is checked before data is read; a failed write keeps the last checkpoint."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from tiny_method import TinyMethod

from medssl.cli.main import main
from medssl.engine import load_checkpoint
from medssl.engine.run_dir import check_run_dir, check_writable_folder
from medssl.errors import MedsslError
from medssl.methods import METHODS

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(autouse=True)
def _tiny_cli_method(monkeypatch):
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


def _pretrain(data, out, *extra):
    return [
        "pretrain", "--method", "tiny_cli", str(data), "--out", str(out), "--num-workers", "0",
        "--precision", "fp32", "--set", "model=tinynet", "--set", "progress=false", *extra,
    ]  # fmt: skip


def test_pretrain_out_that_is_a_file(images, tmp_path, capsys):
    out = tmp_path / "run.txt"
    out.write_text("keep me")
    code, io = _run(_pretrain(images, out, "--steps", "1"), capsys)
    assert code == 2 and len(io.err.strip().splitlines()) == 1
    assert str(out) in io.err and "is an existing file; it must be a folder" in io.err
    assert out.read_text() == "keep me"


def test_finetune_out_that_is_a_file_is_refused_before_reading_data(tmp_path, capsys):
    out = tmp_path / "run.txt"
    out.write_text("keep me")
    args = ["finetune", "--train", str(tmp_path / "missing.csv"), "--out", str(out)]
    code, io = _run(args, capsys)
    assert code == 2 and len(io.err.strip().splitlines()) == 1
    assert str(out) in io.err and "is an existing file" in io.err
    assert out.read_text() == "keep me"


def test_out_below_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(MedsslError, match=r"cannot be created: .*f is a file"):
        check_run_dir(tmp_path / "f" / "run", resume=False)


def test_existing_checkpoint_or_missing_one_is_refused_up_front(tmp_path):
    with pytest.raises(MedsslError, match="no checkpoint to resume from"):
        check_run_dir(tmp_path / "run", resume=True)
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "last.pt").write_bytes(b"")
    with pytest.raises(MedsslError, match="pass --resume"):
        check_run_dir(tmp_path / "run", resume=False)
    assert check_run_dir(tmp_path / "run", resume=True) == tmp_path / "run"


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not bind root")
def test_read_only_folder_is_refused_before_reading_data(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, io = _run(_pretrain(tmp_path / "no-data", locked / "run", "--steps", "1"), capsys)
    finally:
        locked.chmod(0o755)
    assert code == 2 and len(io.err.strip().splitlines()) == 1
    assert "is not writable: Permission denied" in io.err and str(locked) in io.err


def _unshare_ro_mount_works(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o ro tmpfs {folder}"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def test_read_only_file_system_is_refused_before_reading_data(tmp_path):
    mount = tmp_path / "ro"
    mount.mkdir()
    if not _unshare_ro_mount_works(mount):
        pytest.skip("no user namespaces to mount a read-only file system")
    script = (
        f"mount -t tmpfs -o ro tmpfs {mount} && exec {sys.executable} -m medssl.cli.main "
        f"pretrain --method genesis {tmp_path / 'no-data'} --out {mount / 'run'} --steps 1"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"run folder (--out) {mount / 'run'} is not writable: Read-only file system" in (
        proc.stderr
    )


def test_writable_folder_is_not_created_by_the_check(tmp_path):
    assert check_writable_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists() and not list(tmp_path.iterdir())


def test_full_disk_during_checkpoint_keeps_the_last_good_one(images, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    real_save = torch.save
    calls = {"ckpt": 0}

    def save(obj, f, *args, **kwargs):
        if isinstance(obj, dict) and "model_state" in obj:
            calls["ckpt"] += 1
            if calls["ckpt"] == 2:
                real_save(obj, f, *args, **kwargs)  # a partial file is left behind
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    code, io = _run(_pretrain(images, out, "--steps", "3", "--set", "ckpt_every=1"), capsys)
    assert code == 2 and len(io.err.strip().splitlines()) == 1, io.err
    last = out / "checkpoints" / "last.pt"
    assert f"cannot write {last}: No space left on device; last.pt still holds step 1" in io.err
    assert load_checkpoint(last)["step"] == 1
    assert sorted(p.name for p in last.parent.iterdir()) == ["last.pt"]
    assert not (out / "model.pt").exists()

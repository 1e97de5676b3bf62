"""Every ``medssl`` command of the README and its method pages parses; the runnable ones run.

The commands are read from the ``bash`` blocks of the README and of ``docs/*.md``
(continued lines joined, ``$S``
replaced by the samples folder). Each must parse with the real command line: unknown
options, missing arguments or a positional/option mix-up fail here. The sample examples
run as written; the training chain (pretrain → finetune → predict) runs in the slow set
on tiny stand-in files, with one step.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.cli.main import app, main

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
SAMPLES = REPO / "src" / "medssl" / "samples"

pytestmark = pytest.mark.filterwarnings("ignore")


def readme_commands() -> list[list[str]]:
    """The ``medssl`` argument lists of every command in the README's and docs' bash blocks."""
    text = "\n".join(path.read_text() for path in [README, *DOCS])
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip().replace("$S", str(SAMPLES))
            words = shlex.split(line) if line else []
            if words[:1] == ["medssl"]:
                commands.append(words[1:])
            elif "medssl.cli.main" in words:
                commands.append(words[words.index("medssl.cli.main") + 1 :])
    return commands


def _parse(args: list[str]) -> None:
    """Parse ``args`` as the real CLI does, without running the command."""
    import typer

    command, name, parent = typer.main.get_command(app), "medssl", None
    args = list(args)
    while True:
        ctx = command.make_context(name, args, parent=parent)
        if not hasattr(command, "resolve_command"):
            return
        args = list(getattr(ctx, "_protected_args", [])) + list(ctx.args)
        name, command, args = command.resolve_command(ctx, args)
        parent = ctx


def test_readme_has_commands():
    names = {c[0] for c in readme_commands()}
    assert {"info", "segment", "evaluate", "pretrain", "finetune", "predict"} <= names
    assert "experiment" in names and "config" in names


@pytest.mark.parametrize("args", readme_commands(), ids=lambda a: " ".join(a[:2]))
def test_every_readme_command_parses(args):
    _parse(args)


def _run(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code in (0, None), args


def _block_after(heading: str) -> list[list[str]]:
    section = README.read_text().split(heading, 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL).group(1)
    names = {" ".join(c) for c in readme_commands()}
    out = []
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        words = shlex.split(line.split("  #")[0].replace("$S", str(SAMPLES)))
        if words[:1] == ["medssl"] and " ".join(words[1:]) in names:
            out.append(words[1:])
    return out


def test_sample_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = _block_after("### Examples on the shipped sample")
    assert [c[0] for c in commands] == ["info", "segment", "evaluate"]
    for args in commands:
        _run(args)
    assert (tmp_path / "out" / "brats_pat0006_flair.nii.gz").is_file()


def test_config_examples_run(capsys):
    commands = _block_after("### Shipped configs")
    assert [c[0] for c in commands] == ["config", "config", "pretrain"]
    for args in commands[:2]:
        _run(args)
    assert "method: genesis" in capsys.readouterr().out


def _scan(path: Path, seed: int, *, with_label: bool = False) -> None:
    rng = np.random.default_rng(seed)
    shape = (40, 40, 24)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"))
    ball = (((grid - np.array(shape)[:, None, None, None] / 2) / 6.0) ** 2).sum(0) < 1
    image = (100 + 80 * ball + rng.normal(0, 5, shape)).astype(np.float32)
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(image, affine), str(path))
    if with_label:
        label = (ball * rng.integers(1, 5, shape)).astype(np.uint8)
        nib.save(
            nib.Nifti1Image(label, affine), str(path.with_name(f"{path.name[:-7]}_seg.nii.gz"))
        )


@pytest.mark.slow
def test_fine_tuning_chain_runs(tmp_path, monkeypatch):
    """pretrain (Models Genesis) → finetune → predict, as in the README, one step each."""
    import torch

    torch.set_num_threads(1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    for i in range(3):
        _scan(tmp_path / "scans" / f"s{i}.nii.gz", i)
    rows = ["id,image,label"]
    for i in range(1, 8):
        _scan(tmp_path / "train" / f"case{i}.nii.gz", 10 + i, with_label=True)
        rows.append(f"case{i},train/case{i}.nii.gz,train/case{i}_seg.nii.gz")
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    _scan(tmp_path / "new_scan.nii.gz", 99)
    _scan(tmp_path / "dicom_folder.nii.gz", 98)  # a stand-in: same command, a NIfTI file
    fast = ["--steps", "1", "--num-workers", "0", "--batch-size", "1", "--set", "progress=false"]
    narrow = ["--set", "model_kwargs.base_width=4"]  # the same network, 8x narrower
    (by_name,) = [c for c in _block_after("### Shipped configs") if c[0] == "pretrain"]
    _run(
        [a.replace("runs/genesis", "runs/by_name") for a in by_name] + fast + ["--batch-size", "1"]
    )
    assert os.path.isfile("runs/by_name/encoder.pt")
    chain = _block_after("### Fine-tuning and prediction")
    assert [c[0] for c in chain] == ["pretrain", "finetune", "predict"]
    for args in chain:
        args = [a.replace("dicom_folder/", "dicom_folder.nii.gz") for a in args]
        if args[0] == "pretrain":
            args += fast + narrow
        elif args[0] == "finetune":  # one 32^3 window per mirrored prediction
            args += fast + narrow + ["--grid", "32", "--patch", "32,32,32"]
        _run(args)
    assert os.path.isfile("masks/new_scan.nii.gz")


@pytest.mark.slow
@pytest.mark.timeout(1800)  # four cells on full-size scans: about 12 min on 2 busy cores
def test_experiment_example_runs(tmp_path, monkeypatch, shared_data):
    """The README's experiment smoke test, on the real brats_dev cases (4 one-step cells)."""
    if not (REPO.parent / "shared" / "data" / "brats_dev").is_dir():
        pytest.skip("the config's data path ../shared/data/brats_dev is not there")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    (args,) = [c for c in readme_commands() if c[0] == "experiment"]
    args = [str(tmp_path / "exp") if a == "runs/experiment_smoke" else a for a in args]
    _run(args + ["--no-progress", "--set", "finetune.num_workers=0"])
    assert (tmp_path / "exp" / "table.md").is_file()

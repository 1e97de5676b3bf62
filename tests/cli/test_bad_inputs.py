"""Bad input through the real command line: exit 2, one line naming the file and the rule.

One table of cases across ``info``, ``evaluate``, ``segment``, ``predict``, ``finetune``,
``pretrain`` and ``experiment``. Each case runs ``medssl.cli.main.main`` in a folder of
small good and bad files and checks: exit code 2; exactly one line on stderr, starting
``medssl: error:``; no traceback; every needle (the offending file or value, and the
rule) in that line; and no file created, changed or removed in the folder (an empty
output folder made before the error is tolerated and removed between cases).
"""

from __future__ import annotations

import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore")

SHAPE = (20, 20, 16)
AFFINE = np.diag([2.0, 2.0, 2.5, 1.0])


def _nii(path: Path, array: np.ndarray, affine: np.ndarray = AFFINE) -> None:
    nib.save(nib.Nifti1Image(array, affine), str(path))


def _blob(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij"))
    ball = (((grid - np.array(SHAPE)[:, None, None, None] / 2) / 5.0) ** 2).sum(0) < 1
    image = (100 + 60 * ball + rng.normal(0, 5, SHAPE)).astype(np.float32)
    return image, ball.astype(np.uint8)


def _csv(path: Path, rows: list[str]) -> None:
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """A folder of good and bad inputs, shared by every case (no case may change it)."""
    import torch

    from medssl.models import create_model, save_weights

    d = tmp_path_factory.mktemp("bad_inputs")
    image, label = _blob()
    for i in range(3):
        img, lab = _blob(i)
        _nii(d / f"c{i}_img.nii.gz", img)
        _nii(d / f"c{i}_lab.nii.gz", lab)
    _nii(d / "img.nii.gz", image)
    _nii(d / "lab.nii.gz", label)
    _nii(d / "lab2.nii.gz", label * 2)
    _nii(d / "empty_lab.nii.gz", np.zeros(SHAPE, np.uint8))
    _nii(d / "float_lab.nii.gz", label * 0.5)
    _nii(d / "small_lab.nii.gz", label[:-2])
    shifted = AFFINE.copy()
    shifted[0, 3] = 7.0
    _nii(d / "shifted_lab.nii.gz", label, shifted)
    _nii(d / "flat.nii.gz", image[:, :, 0])
    _nii(d / "four_d.nii.gz", np.stack([image, image], axis=-1))
    nan = image.copy()
    nan[3, 3, 3] = np.nan
    _nii(d / "nan.nii.gz", nan)
    _nii(d / "zeros.nii.gz", np.zeros(SHAPE, np.float32))
    _nii(d / "huge_spacing.nii.gz", image, np.diag([1e-4, 1e-4, 1e-4, 1.0]))
    (d / "corrupt.nii.gz").write_bytes(b"\x1f\x8b this is not a gzip stream")
    (d / "blank.nii.gz").write_bytes(b"")
    (d / "notes.txt").write_text("not an image\n")
    (d / "a_file").write_text("")
    (d / "empty_dir").mkdir()
    (d / "pred").mkdir()
    (d / "gt").mkdir()
    _nii(d / "pred" / "x.nii.gz", label)
    _nii(d / "gt" / "y.nii.gz", label)
    for name in ("pred2", "gt2"):
        (d / name).mkdir()
        _nii(d / name / "a.nii.gz", label)

    _csv(
        d / "train.csv",
        ["id,image,label"] + [f"c{i},c{i}_img.nii.gz,c{i}_lab.nii.gz" for i in range(3)],
    )
    _csv(d / "noimage.csv", ["id,label", "c0,c0_lab.nii.gz"])
    _csv(d / "missing.csv", ["id,image,label", "c0,gone.nii.gz,c0_lab.nii.gz"])
    _csv(
        d / "dup.csv",
        ["id,image,label", "c0,c0_img.nii.gz,c0_lab.nii.gz", "c0,c1_img.nii.gz,c1_lab.nii.gz"],
    )
    _csv(d / "nolabel.csv", ["id,image", "c0,c0_img.nii.gz"])
    _csv(d / "emptylab.csv", ["id,image,label", "c0,c0_img.nii.gz,empty_lab.nii.gz"])
    _csv(d / "shifted.csv", ["id,image,label", "c0,c0_img.nii.gz,shifted_lab.nii.gz"])
    _csv(d / "floatlab.csv", ["id,image,label", "c0,c0_img.nii.gz,float_lab.nii.gz"])
    _csv(d / "header_only.csv", ["id,image,label"])
    _csv(
        d / "ct_mr.csv",
        [
            "id,image,label,modality",
            "c0,c0_img.nii.gz,c0_lab.nii.gz,CT",
            "c1,c1_img.nii.gz,c1_lab.nii.gz,MR",
        ],
    )
    (d / "binary.csv").write_bytes(b"\x00\xff\xfe garbage")

    (d / "bad.yaml").write_text("steps: [1, 2\n")
    (d / "list.yaml").write_text("- 1\n- 2\n")
    (d / "unknown_key.yaml").write_text("method: genesis\nstepz: 3\n")
    (d / "bad_value.yaml").write_text("method: genesis\nbatch_size: many\n")
    exp = (
        "methods: {{random: null{extra_method}}}\nfractions: {fractions}\nseeds: [0]\n"
        "train: train.csv\nval_ids: [c2]\ntest: {test}\nlabels: '1'\n{extra}"
    )

    def experiment(name: str, *, fractions="[1.0]", test="train.csv", extra="", extra_method=""):
        (d / name).write_text(
            exp.format(fractions=fractions, test=test, extra=extra, extra_method=extra_method)
        )

    experiment("exp_fraction.yaml", fractions="[1.5]", test="test.csv")
    experiment("exp_good.yaml", test="test.csv")
    experiment("exp_overlap.yaml")  # test = train: overlapping cases
    experiment("exp_weights.yaml", extra_method=", pre: missing_encoder.pt", test="test.csv")
    experiment("exp_key.yaml", extra="colour: blue\n", test="test.csv")
    experiment("exp_model.yaml", extra="finetune: {model: vnet}\n", test="test.csv")
    experiment("exp_ftkey.yaml", extra="finetune: {stepz: 2}\n", test="test.csv")
    experiment("exp_valid.yaml", extra="val_ids: [nobody]\n", test="test.csv")
    (d / "exp_valid.yaml").write_text(
        (d / "exp_valid.yaml").read_text().replace("val_ids: [c2]\n", "", 1)
    )
    experiment("exp_preset.yaml", extra="finetune: {preprocess: {preset: nope}}\n", test="test.csv")
    (d / "exp_nomethods.yaml").write_text(
        "methods: {}\nfractions: [1.0]\nseeds: [0]\ntrain: train.csv\ntest: test.csv\n"
    )
    _nii(d / "t0_img.nii.gz", image)
    _nii(d / "t0_lab.nii.gz", label)
    _csv(d / "test.csv", ["id,image,label", "t0,t0_img.nii.gz,t0_lab.nii.gz"])

    (d / "garbage.pt").write_bytes(b"not a checkpoint")
    torch.manual_seed(0)
    net = create_model("unet3d_tiny", in_channels=1, out_channels=2)
    save_weights(d / "encoder.pt", net, arch="unet3d_tiny",
                 config={"in_channels": 1, "out_channels": 2}, part="encoder")  # fmt: skip
    save_weights(d / "whole.pt", net, arch="unet3d_tiny",
                 config={"in_channels": 1, "out_channels": 2}, extra={"method": "genesis"})  # fmt: skip
    return d


FT = "finetune --train train.csv --labels 1 --out run --model unet3d_tiny --num-workers 0 --steps 1"
PT = "pretrain --method genesis img.nii.gz --out run --num-workers 0 --steps 1"
PRED = "predict img.nii.gz --model {model} --out masks"
SEG = "segment img.nii.gz --out masks --baseline zscore"

# (id, command line, needles that the one error line must hold)
# fmt: off
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # info
    ("info-missing", "info gone.nii.gz", ("gone.nii.gz", "not found")),
    ("info-corrupt", "info corrupt.nii.gz", ("corrupt.nii.gz",)),
    ("info-zero-bytes", "info blank.nii.gz", ("blank.nii.gz",)),
    ("info-2d", "info flat.nii.gz", ("flat.nii.gz", "3D")),
    ("info-4d", "info four_d.nii.gz", ("four_d.nii.gz", "--channel")),
    ("info-4d-channel-range", "info four_d.nii.gz --channel 5", ("four_d.nii.gz", "5")),
    ("info-4d-channel-negative", "info four_d.nii.gz --channel -1", ("four_d.nii.gz", "-1")),
    ("info-text-file", "info notes.txt", ("notes.txt",)),
    ("info-empty-folder", "info empty_dir", ("empty_dir",)),
    ("info-nan", "info nan.nii.gz", ("nan.nii.gz", "NaN")),
    ("info-channel-not-int", "info img.nii.gz --channel x", ("--channel", "integer")),
    # evaluate
    ("evaluate-pred-missing", "evaluate gone.nii.gz lab.nii.gz", ("gone.nii.gz", "not found")),
    ("evaluate-gt-missing", "evaluate lab.nii.gz gone.nii.gz", ("gone.nii.gz", "not found")),
    ("evaluate-corrupt", "evaluate corrupt.nii.gz lab.nii.gz", ("corrupt.nii.gz",)),
    ("evaluate-float-label", "evaluate float_lab.nii.gz lab.nii.gz", ("float_lab.nii.gz", "whole numbers")),
    ("evaluate-shape", "evaluate small_lab.nii.gz lab.nii.gz", ("small_lab.nii.gz", "shapes differ")),
    ("evaluate-affine", "evaluate shifted_lab.nii.gz lab.nii.gz", ("shifted_lab.nii.gz", "affines differ")),
    ("evaluate-4d", "evaluate four_d.nii.gz lab.nii.gz", ("four_d.nii.gz", "4D", "3D files only")),
    ("evaluate-2d", "evaluate flat.nii.gz lab.nii.gz", ("flat.nii.gz",)),
    ("evaluate-labels-zero", "evaluate lab.nii.gz lab.nii.gz --labels 0", ("--labels", "background")),
    ("evaluate-labels-syntax", "evaluate lab.nii.gz lab.nii.gz --labels wt=1+x", ("--labels", "'x'")),
    ("evaluate-labels-twice", "evaluate lab.nii.gz lab.nii.gz --labels 1,1", ("--labels", "twice")),
    ("evaluate-labels-absent", "evaluate lab.nii.gz lab.nii.gz --labels 1,et=4", ("et=4", "lab.nii.gz", "no prediction")),
    ("evaluate-nsd-negative", "evaluate lab.nii.gz lab.nii.gz --nsd-tolerance -1", ("nsd-tolerance", "-1")),
    ("evaluate-out-is-input", "evaluate pred/x.nii.gz lab.nii.gz --out lab.nii.gz", ("lab.nii.gz", "input")),
    ("evaluate-out-is-input-in-folder", "evaluate pred2 gt2 --out gt2/a.nii.gz", ("gt2/a.nii.gz", "input")),
    ("evaluate-out-folder", "evaluate lab.nii.gz lab.nii.gz --out empty_dir", ("empty_dir", "CSV")),
    ("evaluate-out-under-file", "evaluate lab.nii.gz lab.nii.gz --out a_file/m.csv", ("a_file",)),
    ("evaluate-unmatched", "evaluate pred gt", ("x.nii.gz", "y.nii.gz", "unmatched")),
    ("evaluate-empty-folder", "evaluate empty_dir gt", ("empty_dir",)),
    ("evaluate-file-vs-folder", "evaluate lab.nii.gz gt", ("lab.nii.gz", "gt")),
    # segment
    ("segment-missing", "segment gone.nii.gz --out masks --baseline zscore", ("gone.nii.gz", "not found")),
    ("segment-corrupt", "segment corrupt.nii.gz --out masks --baseline zscore", ("corrupt.nii.gz",)),
    ("segment-2d", "segment flat.nii.gz --out masks --baseline zscore", ("flat.nii.gz",)),
    ("segment-4d", "segment four_d.nii.gz --out masks --baseline zscore", ("four_d.nii.gz", "4D")),
    ("segment-nan", "segment nan.nii.gz --out masks --baseline zscore", ("nan.nii.gz", "NaN")),
    ("segment-all-zero", "segment zeros.nii.gz --out masks --baseline zscore", ("zeros.nii.gz", "zero")),
    ("segment-threshold", "segment img.nii.gz --out masks --threshold 1.5", ("threshold", "1.5")),
    ("segment-baseline", "segment img.nii.gz --out masks --baseline otsu", ("baseline", "otsu")),
    ("segment-model-missing", "segment img.nii.gz --out masks --model gone.pt", ("gone.pt",)),
    ("segment-model-garbage", "segment img.nii.gz --out masks --model garbage.pt", ("garbage.pt",)),
    ("segment-model-not-ld", "segment img.nii.gz --out masks --model whole.pt", ("whole.pt",)),
    ("segment-threads", "segment img.nii.gz --out masks --threads 0", ("--threads", "0")),
    ("segment-out-file", "segment img.nii.gz --out a_file --baseline zscore", ("a_file",)),
    ("segment-label-two-inputs", "segment img.nii.gz c0_img.nii.gz --out masks --label lab.nii.gz", ("label", "one")),
    ("segment-baseline-panel", f"{SEG} --panel", ("--baseline", "--panel")),
    ("segment-no-out", "segment img.nii.gz --baseline zscore", ("--out",)),
    # predict
    ("predict-model-garbage", PRED.format(model="garbage.pt"), ("garbage.pt",)),
    ("predict-model-missing", PRED.format(model="gone.pt"), ("gone.pt",)),
    ("predict-model-encoder", PRED.format(model="encoder.pt"), ("encoder.pt", "encoder")),
    ("predict-model-pretrained", PRED.format(model="whole.pt"), ("whole.pt", "genesis")),
    ("predict-model-text", PRED.format(model="notes.txt"), ("notes.txt",)),
    ("predict-no-model", "predict img.nii.gz --out masks", ("--model",)),
    # finetune
    ("finetune-no-train", "finetune --labels 1 --out run", ("--train",)),
    ("finetune-train-missing", FT.replace("train.csv", "gone.csv"), ("gone.csv",)),
    ("finetune-csv-no-image", FT.replace("train.csv", "noimage.csv"), ("noimage.csv", "image")),
    ("finetune-csv-missing-image", FT.replace("train.csv", "missing.csv"), ("gone.nii.gz",)),
    ("finetune-csv-duplicate-id", FT.replace("train.csv", "dup.csv"), ("dup.csv", "c0")),
    ("finetune-csv-no-label", FT.replace("train.csv", "nolabel.csv"), ("c0_img.nii.gz", "label")),
    ("finetune-csv-empty-label", FT.replace("train.csv", "emptylab.csv"), ("empty_lab.nii.gz", "empty")),
    ("finetune-csv-geometry", FT.replace("train.csv", "shifted.csv"), ("shifted_lab.nii.gz",)),
    ("finetune-csv-float-label", FT.replace("train.csv", "floatlab.csv"), ("float_lab.nii.gz",)),
    ("finetune-csv-header-only", FT.replace("train.csv", "header_only.csv"), ("header_only.csv",)),
    ("finetune-csv-binary", FT.replace("train.csv", "binary.csv"), ("binary.csv",)),
    ("finetune-mixed-modality", FT.replace("train.csv", "ct_mr.csv"), ("CT", "MR", "--preset")),
    ("finetune-labels-zero", FT.replace("--labels 1", "--labels 0"), ("--labels", "background")),
    ("finetune-labels-absent", FT.replace("--labels 1", "--labels liver=7"), ("liver=7", "train.csv")),
    ("finetune-labels-overlap", FT.replace("--labels 1", "--labels a=1,b=1+2"), ("--labels", "value 1")),
    ("finetune-set-unknown", f"{FT} --set stepz=3", ("stepz",)),
    ("finetune-set-pretrain-only", f"{FT} --set method=genesis", ("method", "pre-training")),
    ("finetune-set-no-equals", f"{FT} --set steps", ("--set", "key=value")),
    ("finetune-set-bad-type", f"{FT} --set batch_size=two", ("batch_size", "two")),
    ("finetune-set-optimizer", f"{FT} --set optimizer=adagrad", ("optimizer", "adagrad")),
    ("finetune-model-option", f"{FT} --set model_kwargs.widht=8", ("widht", "unet3d_tiny")),
    ("finetune-model-option-type", f"{FT} --set model_kwargs=8", ("model_kwargs", "mapping")),
    ("finetune-fraction", f"{FT} --fraction 0", ("fraction", "0")),
    ("finetune-model", FT.replace("unet3d_tiny", "vnet"), ("vnet", "valid")),
    ("finetune-patch", f"{FT} --patch 16,0,16", ("patch",)),
    ("finetune-patch-text", f"{FT} --patch a,b,c", ("--patch", "a,b,c")),
    ("finetune-set-patch-text", f"{FT} --set patch=[a,b,c]", ("patch", "'a'")),
    ("finetune-set-patch-float", f"{FT} --set patch=[16,16,16.5]", ("patch", "16.5")),
    ("finetune-spacing", f"{FT} --spacing -1", ("--spacing", "-1")),
    ("finetune-modality", f"{FT} --modality pet", ("--modality", "pet")),
    ("finetune-preset", f"{FT} --preset nope", ("nope", "preset")),
    ("finetune-preset-option", f"{FT} --set preprocess.windoww=1", ("windoww",)),
    ("finetune-channel", f"{FT} --channel -1", ("--channel", "-1")),
    ("finetune-val-ids", f"{FT} --val-ids nobody", ("nobody",)),
    ("finetune-pretrained-garbage", f"{FT} --pretrained garbage.pt", ("garbage.pt",)),
    ("finetune-pretrained-missing", f"{FT} --pretrained gone.pt", ("gone.pt",)),
    ("finetune-config-missing", f"{FT} --config gone.yaml", ("gone.yaml", "not found")),
    ("finetune-config-yaml", f"{FT} --config bad.yaml", ("bad.yaml", "YAML")),
    ("finetune-config-list", f"{FT} --config list.yaml", ("list.yaml", "mapping")),
    ("finetune-lr", f"{FT} --lr -1", ("lr", "-1")),
    ("finetune-precision", f"{FT} --precision fp16", ("precision", "fp16")),
    # pretrain
    ("pretrain-no-data", "pretrain --method genesis --out run", ("data",)),
    ("pretrain-method", PT.replace("genesis", "simclr"), ("simclr", "valid")),
    ("pretrain-no-method", "pretrain img.nii.gz --out run --steps 1", ("method",)),
    ("pretrain-glob-none", PT.replace("img.nii.gz", "'nothing*.nii.gz'"), ("nothing*.nii.gz",)),
    ("pretrain-corrupt", PT.replace("img.nii.gz", "corrupt.nii.gz"), ("corrupt.nii.gz",)),
    ("pretrain-2d", PT.replace("img.nii.gz", "flat.nii.gz"), ("flat.nii.gz",)),
    ("pretrain-4d", PT.replace("img.nii.gz", "four_d.nii.gz"), ("four_d.nii.gz", "4D", "3D files only")),
    ("pretrain-nan", PT.replace("img.nii.gz", "nan.nii.gz"), ("nan.nii.gz", "NaN")),
    ("pretrain-no-out", "pretrain --method genesis img.nii.gz --steps 1", ("--out",)),
    ("pretrain-config-missing", f"{PT} --config gone.yaml", ("gone.yaml",)),
    ("pretrain-config-yaml", f"{PT} --config bad.yaml", ("bad.yaml", "YAML")),
    ("pretrain-config-unknown-key", f"{PT} --config unknown_key.yaml", ("stepz", "unknown_key.yaml")),
    ("pretrain-config-bad-value", f"{PT} --config bad_value.yaml", ("batch_size", "many")),
    ("pretrain-config-unknown-name", "pretrain --config genesiss img.nii.gz --out run", ("genesiss", "valid names")),
    ("pretrain-set-unknown", f"{PT} --set stepz=3", ("stepz",)),
    ("pretrain-steps", PT.replace("--steps 1", "--steps 0"), ("steps", "0")),
    ("pretrain-lr", f"{PT} --lr -1", ("lr", "-1")),
    ("pretrain-precision", f"{PT} --precision fp16", ("precision", "fp16")),
    ("pretrain-batch", f"{PT} --batch-size 0", ("batch_size", "0")),
    ("pretrain-warmup", f"{PT} --set warmup_steps=5", ("warmup_steps", "5")),
    ("pretrain-model", f"{PT} --set model=vnet", ("vnet",)),
    ("pretrain-out-file", PT.replace("--out run", "--out a_file"), ("a_file",)),
    # experiment
    ("experiment-missing", "experiment gone.yaml", ("gone.yaml", "not found")),
    ("experiment-yaml", "experiment bad.yaml", ("bad.yaml", "YAML")),
    ("experiment-list", "experiment --config list.yaml", ("list.yaml", "mapping")),
    ("experiment-fraction", "experiment exp_fraction.yaml --out exp", ("fraction", "1.5")),
    ("experiment-overlap", "experiment exp_overlap.yaml --out exp", ("overlap",)),
    ("experiment-weights", "experiment exp_weights.yaml --out exp", ("missing_encoder.pt", "pre")),
    ("experiment-key", "experiment exp_key.yaml --out exp", ("colour",)),
    ("experiment-model", "experiment exp_model.yaml --out exp", ("vnet",)),
    ("experiment-finetune-key", "experiment exp_ftkey.yaml --out exp", ("stepz",)),
    ("experiment-val-ids", "experiment exp_valid.yaml --out exp", ("nobody",)),
    ("experiment-preset", "experiment exp_preset.yaml --out exp", ("nope",)),
    ("experiment-no-methods", "experiment exp_nomethods.yaml --out exp", ("methods",)),
    ("experiment-set-unknown", "experiment exp_good.yaml --out exp --set coulour=red", ("coulour",)),
    ("experiment-set-value", "experiment exp_good.yaml --out exp --set seeds=[-1]", ("seed", "-1")),
    ("experiment-set-patch", "experiment exp_good.yaml --out exp --set finetune.patch=[a,b,c]", ("finetune.patch", "'a'")),
    ("experiment-set-labels", "experiment exp_good.yaml --out exp --set labels=wt=0", ("labels", "background")),
    ("experiment-both-configs", "experiment exp_key.yaml --config exp_model.yaml", ("once",)),
]
# fmt: on


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if not p.is_dir()
    }


def _remove_new_empty_folders(folder: Path, before: set[Path]) -> None:
    for p in sorted(folder.rglob("*"), key=lambda q: -len(q.parts)):
        if p.is_dir() and p not in before and not any(p.iterdir()):
            p.rmdir()


def _options(name: str) -> set[str]:
    import typer

    from medssl.cli.main import app

    command = typer.main.get_command(app).commands[name]
    return {o for p in command.params for o in getattr(p, "opts", [])}


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_at_least_sixty_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 60
    assert len({c[1] for c in CASES}) == len(CASES)
    commands = {c[1].split()[0] for c in CASES}
    assert commands == {
        "info",
        "evaluate",
        "segment",
        "predict",
        "finetune",
        "pretrain",
        "experiment",
    }


@pytest.mark.parametrize("command, needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(ws, tmp_path, monkeypatch, capsys, command, needles):
    import shlex

    monkeypatch.chdir(ws)
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    before = _snapshot(ws)
    folders = {p for p in ws.rglob("*") if p.is_dir()}
    code, _, err = _run(shlex.split(command), capsys)
    after = _snapshot(ws)
    _remove_new_empty_folders(ws, folders)
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("medssl: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    advice = re.sub(r"medssl \w+ --help|--[a-z-]+ of medssl \w+", "", lines[0])  # other commands
    for option in re.findall(r"--[a-z][a-z-]+", advice):  # only the command's own options
        assert option in _options(command.split()[0]), (option, lines[0])
    assert after == before, "files created, changed or removed"

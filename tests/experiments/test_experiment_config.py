"""Bad experiment configs fail before any training, each with a one-line message."""

from __future__ import annotations

import re

import pytest
import yaml
from experiment_helpers import experiment_options

from medssl.cli.main import main
from medssl.errors import MedsslError
from medssl.experiments import load_experiment_config, plan


def _plan(cases, tmp_path, **changes):
    return plan(
        load_experiment_config(None, experiment_options(cases, tmp_path / "exp", **changes))
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"methods": {}}, "methods must name at least one method"),
        (
            {"methods": {"genesis": "runs/nowhere/encoder.pt"}},
            "method 'genesis': weights file runs/nowhere/encoder.pt not found",
        ),
        ({"methods": {"a b": None}}, "method names must be letters"),
        ({"fractions": [0.2]}, "fraction 0.2 of 2 training cases leaves 0 cases"),
        ({"fractions": [1.5]}, r"fraction must be in \(0, 1\]; got 1.5"),
        ({"fractions": []}, "fractions must list at least one value"),
        ({"seeds": [0, 0]}, "seeds must not repeat a value"),
        ({"test": "TRAIN"}, r"test and training cases must not overlap; both hold \['c0', 'c1'\]"),
        ({"val_ids": ["c9"]}, r"val_ids \['c9'\] are not training case ids"),
        ({"epochs": 3}, "unknown key 'epochs'"),
        ({"finetune": {"epoch": 3}}, "unknown key 'finetune.epoch'"),
        ({"finetune": {"fraction": 0.5}}, "finetune.fraction is set by the experiment grid"),
        ({"finetune": {"lr": -1}}, "lr must be a positive"),
        ({"test": None}, "an experiment needs folds"),
        ({"labels": "fg=1+x"}, "each label must be a whole number"),
        ({"eval_labels": "0"}, "0 is the background"),
        ({"finetune": {"model": "vnet"}}, "unknown model 'vnet'; valid names"),
        ({"finetune": {"model": "unet3d"}}, "holds weights for 'unet3d_tiny', expected 'unet3d'"),
        ({"finetune": {"preprocess": {"preset": "nope"}}}, "nope"),
        (
            {"finetune": {"patch": [20, 16, 16]}},
            r"finetune.patch in .* \(20, 16, 16\) must be multiples of 8, the size divisor",
        ),
    ],
)
def test_bad_config(cases, tmp_path, changes, message):
    if changes.get("test") == "TRAIN":
        changes["test"] = str(cases / "train.csv")
    with pytest.raises(MedsslError, match=message):
        _plan(cases, tmp_path, **changes)
    assert not (tmp_path / "exp").exists()


FOLDS = [
    {"train": ["c0", "c1"], "val": ["c2"], "test": ["c3"]},
    {"train": ["c1", "c2"], "val": ["c3"], "test": ["c0"]},
]


def _folds(cases, folds):
    return {
        "train": None,
        "val_ids": [],
        "test": None,
        "data": str(cases / "all.csv"),
        "folds": folds,
    }


def test_folds_make_one_cell_per_fold(cases, tmp_path):
    cells = _plan(
        cases, tmp_path, **_folds(cases, FOLDS), methods={"random": None}, fractions=[1.0]
    )
    assert [c.name for c in cells] == ["random_f1.0_s0_fold0", "random_f1.0_s0_fold1"]
    assert cells[1].split.ids() == {"train": ["c1", "c2"], "val": ["c3"], "test": ["c0"]}


@pytest.mark.parametrize(
    "fold, message",
    [
        (
            {"train": ["c0", "c1"], "val": ["c2"], "test": ["c1"]},
            r"fold 0: test and training cases must not overlap; both hold \['c1'\]",
        ),
        (
            {"train": ["c0"], "val": ["c3"], "test": ["c3"]},
            "fold 0: test and validation cases must not overlap",
        ),
        ({"train": ["c0", "x9"], "test": ["c3"]}, r"fold 0: train ids \['x9'\] are not in data"),
        ({"train": [], "test": ["c3"]}, "fold 0: train must list at least one case id"),
        ({"train": ["c0"], "tests": ["c3"]}, r"unknown key\(s\) \['tests'\] in fold 0"),
    ],
)
def test_bad_folds(cases, tmp_path, fold, message):
    with pytest.raises(MedsslError, match=message):
        _plan(cases, tmp_path, **_folds(cases, [fold]))


def test_folds_with_a_fixed_split_is_refused(cases, tmp_path):
    options = _folds(cases, FOLDS)
    options["test"] = str(cases / "test.csv")
    with pytest.raises(MedsslError, match="give either folds"):
        _plan(cases, tmp_path, **options)


def test_cli_reports_one_line(cases, tmp_path, capsys):
    config = tmp_path / "exp.yaml"
    options = experiment_options(cases, tmp_path / "exp", methods={"genesis": "missing.pt"})
    config.write_text(yaml.safe_dump(options))
    with pytest.raises(SystemExit) as exc:
        main(["experiment", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1
    assert re.search("weights file missing.pt not found", err), err

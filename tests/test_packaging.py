"""What the README and Makefile promise: shipped configs, ``make lint``, honest benchmarks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from medssl.cli.main import main

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_every_config_preset_is_package_data():
    from medssl.configs import config_names, shipped_config

    repo_presets = sorted(p.stem for p in (REPO / "configs").glob("*.yaml"))
    assert repo_presets and config_names() == repo_presets
    for name in repo_presets:
        assert shipped_config(name).read_text() == (REPO / "configs" / f"{name}.yaml").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "configs/*.yaml" in project["tool"]["setuptools"]["package-data"]["medssl"]


def test_config_name_resolves_to_a_shipped_preset(tmp_path, monkeypatch):
    from medssl.config import load_config

    monkeypatch.chdir(tmp_path)  # no configs/ folder here
    assert load_config("genesis", {"out": "x"}).method == "genesis"
    assert load_config("configs/genesis.yaml", {"out": "x"}).method == "genesis"
    local = tmp_path / "genesis"
    local.write_text("method: rotation\n")  # a file of that name wins
    assert load_config("genesis").method == "rotation"


def test_config_command(capsys):
    code, out, _ = _run(["config", "list"], capsys)
    assert code == 0 and "ld_brain" in out and "experiment_brats" in out
    code, out, _ = _run(["config", "show", "sar"], capsys)
    assert code == 0 and "method: sar" in out
    code, _, err = _run(["config", "show", "genesiss"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "valid names" in err


@pytest.mark.parametrize("form", ["positional", "option"])
def test_experiment_config_positional_or_option(form, tmp_path, capsys):
    bad = tmp_path / "exp.yaml"
    bad.write_text("methods: {random: null}\nfractions: [2.0]\n")
    args = ["experiment", bad] if form == "positional" else ["experiment", "--config", bad]
    code, _, err = _run(args, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "No such option" not in err


def test_experiment_without_config(capsys):
    code, _, err = _run(["experiment"], capsys)
    assert code == 2 and "needs a config" in err and len(err.splitlines()) == 1


def test_make_lint_installs_ruff():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"pip install .*\.\[lint\]", recipe) and "ruff check src tests" in recipe
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("ruff") for d in extras["lint"])


def test_benchmark_ratios_use_same_run_baselines_or_labelled_constants():
    """A ratio to a module-level number must name it as external and say so when printed."""
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        text = path.read_text()
        constants = re.findall(r"^([A-Z][A-Z0-9_]*) = [0-9.]+\s*$", text, flags=re.MULTILINE)
        for name in constants:
            if re.search(rf"{name}\s*/|/\s*{name}", text):
                assert name.endswith("_EXTERNAL"), f"{path.name}: {name}"
                assert "not measured in this run" in text, path.name


def test_no_dead_finetune_options(capsys):
    code, _, err = _run(["finetune", "--no-pad"], capsys)
    assert code == 2 and "No such option: --no-pad" in err

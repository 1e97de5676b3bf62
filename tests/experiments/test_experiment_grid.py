"""A 2 methods × 2 fractions × 1 seed grid end to end: reports, resume, redo one cell."""

from __future__ import annotations

import csv

import pytest
from experiment_helpers import experiment_options

from medssl.cli.main import main
from medssl.experiments import load_experiment_config, run_experiment

CELLS = ["random_f0.5_s0", "pre_f0.5_s0", "random_f1.0_s0", "pre_f1.0_s0"]


@pytest.fixture(scope="module")
def grid(cases, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid") / "exp"
    cfg = load_experiment_config(None, experiment_options(cases, out))
    result = run_experiment(cfg, progress=False)
    return cfg, result


def test_grid_writes_cells_results_and_tables(grid):
    _cfg, result = grid
    assert result.ran == CELLS
    for name in CELLS:
        cell = result.out / "cells" / name
        assert (cell / "done.json").is_file() and (cell / "model.pt").is_file()
        assert sorted(p.name for p in (cell / "pred").iterdir()) == [
            "c3.nii.gz",
            "c4.nii.gz",
            "c5.nii.gz",
        ]
    rows = list(csv.DictReader(result.results_csv.open()))
    assert len(rows) == 4 * 3
    assert set(rows[0]) >= {
        "method",
        "fraction",
        "seed",
        "fold",
        "case",
        "dice",
        "hd95",
        "volume_ml",
    }
    volumes = {r["case"]: float(r["volume_ml"]) for r in rows}
    assert volumes["c3"] < volumes["c4"] < volumes["c5"]  # radii 4, 6, 8 voxels
    assert all(0.0 <= float(r["dice"]) <= 1.0 for r in rows)
    table = result.table_md.read_text()
    assert "| Method | 50% | 100% |" in table
    assert "| random |" in table and "| pre |" in table
    assert "by tumour size" in table and "With only 3 test cases" in table
    assert (result.out / "config.yaml").is_file()


def test_rerun_skips_finished_cells(grid):
    cfg, result = grid
    done = {n: (result.out / "cells" / n / "done.json").stat().st_mtime_ns for n in CELLS}
    again = run_experiment(cfg, progress=False)
    assert again.ran == []
    assert {n: (again.out / "cells" / n / "done.json").stat().st_mtime_ns for n in CELLS} == done
    assert again.results_csv.read_text() == result.results_csv.read_text()


def test_deleted_done_json_redoes_only_that_cell(grid, capsys):
    _cfg, result = grid
    target = result.out / "cells" / "pre_f0.5_s0" / "done.json"
    others = {
        n: (result.out / "cells" / n / "done.json").stat().st_mtime_ns
        for n in CELLS
        if n != "pre_f0.5_s0"
    }
    target.unlink()
    with pytest.raises(SystemExit) as exc:
        main(["experiment", "--no-progress", str(result.out / "config.yaml")])
    assert exc.value.code in (0, None)
    assert "1 cell(s) run, 3 already done" in capsys.readouterr().out
    assert target.is_file()
    assert {
        n: (result.out / "cells" / n / "done.json").stat().st_mtime_ns for n in others
    } == others

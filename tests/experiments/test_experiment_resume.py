"""Half-finished cells: resume from checkpoints/last.pt, or start afresh without one."""

from __future__ import annotations

import json

import pytest
from experiment_helpers import experiment_options

import medssl.experiments.cell as cell_module
from medssl.experiments import load_experiment_config, run_experiment


def _config(cases, out):
    return load_experiment_config(
        None, experiment_options(cases, out, methods={"random": None}, fractions=[1.0])
    )


def test_cell_interrupted_after_training_resumes(cases, tmp_path, monkeypatch):
    cfg = _config(cases, tmp_path / "exp")
    folder = tmp_path / "exp" / "cells" / "random_f1.0_s0"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(cell_module, "predict_and_evaluate", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(cfg, progress=False)
    assert (folder / "checkpoints" / "last.pt").is_file()
    assert not (folder / "done.json").exists()
    result = run_experiment(cfg, progress=False)
    assert result.ran == ["random_f1.0_s0"]
    assert json.loads((folder / "done.json").read_text())["resumed"] is True


def test_cell_without_checkpoint_starts_afresh(cases, tmp_path):
    cfg = _config(cases, tmp_path / "exp")
    folder = tmp_path / "exp" / "cells" / "random_f1.0_s0"
    (folder / "pred").mkdir(parents=True)
    (folder / "pred" / "stale.nii.gz").write_bytes(b"half written")
    result = run_experiment(cfg, progress=False)
    assert result.ran == ["random_f1.0_s0"]
    assert not (folder / "pred" / "stale.nii.gz").exists()
    assert json.loads((folder / "done.json").read_text())["resumed"] is False


def test_report_only_runs_nothing(cases, tmp_path):
    result = run_experiment(_config(cases, tmp_path / "exp"), report_only=True, progress=False)
    assert result.ran == [] and not (tmp_path / "exp" / "cells").exists()
    assert "No cell has finished yet" in result.table_md.read_text()


def test_changed_settings_are_not_mixed_with_finished_cells(cases, tmp_path):
    from medssl.errors import MedsslError

    run_experiment(_config(cases, tmp_path / "exp"), progress=False)
    options = experiment_options(cases, tmp_path / "exp", methods={"random": None}, fractions=[1.0])
    options["finetune"]["lr"] = 1e-2
    with pytest.raises(MedsslError, match=r"made with other settings \(settings.finetune.lr\)"):
        run_experiment(load_experiment_config(None, options), progress=False)


def _copy_cases(cases, folder):
    import shutil

    shutil.copytree(cases, folder)
    return folder


def _pre_config(cases, out, encoder):
    options = experiment_options(cases, out, methods={"pre": str(encoder)}, fractions=[1.0])
    return load_experiment_config(None, options)


def test_finished_cell_is_keyed_by_file_contents_not_paths(cases, tmp_path):
    """A moved encoder and moved data keep the cell; the same paths with new bytes do not."""
    import shutil

    from medssl.errors import MedsslError

    data = _copy_cases(cases, tmp_path / "data")
    out = tmp_path / "exp"
    assert run_experiment(_pre_config(data, out, data / "encoder.pt"), progress=False).ran
    moved = shutil.move(data, tmp_path / "moved")
    again = run_experiment(_pre_config(moved, out, moved / "encoder.pt"), progress=False)
    assert again.ran == [] and len(again.results) == 1

    other = tmp_path / "other.pt"
    shutil.copy(moved / "encoder.pt", other)
    with open(other, "ab") as f:
        f.write(b"\0")  # same weights, different bytes: a different file
    shutil.copy(other, moved / "encoder.pt")
    with pytest.raises(MedsslError, match=r"made with other settings \(weights\)"):
        run_experiment(_pre_config(moved, out, moved / "encoder.pt"), progress=False)


def test_a_rewritten_label_invalidates_the_finished_cell(cases, tmp_path):
    import nibabel as nib
    import numpy as np

    from medssl.errors import MedsslError

    data = _copy_cases(cases, tmp_path / "data")
    out = tmp_path / "exp"
    run_experiment(_pre_config(data, out, data / "encoder.pt"), progress=False)
    label = nib.load(str(data / "c4_lab.nii.gz"))
    array = np.asarray(label.dataobj).copy()
    array[array == 2] = 1
    nib.save(nib.Nifti1Image(array, label.affine), str(data / "c4_lab.nii.gz"))
    with pytest.raises(MedsslError, match=r"made with other settings \(split\.test\)"):
        run_experiment(_pre_config(data, out, data / "encoder.pt"), progress=False)


def test_half_finished_cell_with_changed_settings_starts_afresh(cases, tmp_path, monkeypatch):
    out = tmp_path / "exp"
    folder = out / "cells" / "random_f1.0_s0"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(cell_module, "predict_and_evaluate", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(_config(cases, out), progress=False)
    assert (folder / "checkpoints" / "last.pt").is_file()
    options = experiment_options(cases, out, methods={"random": None}, fractions=[1.0])
    options["finetune"]["lr"] = 1e-2
    with pytest.warns(UserWarning, match=r"started with other settings \(settings.finetune.lr\)"):
        result = run_experiment(load_experiment_config(None, options), progress=False)
    assert result.ran == ["random_f1.0_s0"]
    done = json.loads((folder / "done.json").read_text())
    assert done["resumed"] is False
    assert done["identity"]["settings"]["finetune"]["lr"] == 1e-2

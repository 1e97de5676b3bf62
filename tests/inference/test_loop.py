"""The inference loop: a new predictor plugs in by one class; batches validate up front."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import brain_like, oblique_affine, write_nifti

from medssl.errors import MedsslError
from medssl.inference.loop import BatchError, run_inference
from medssl.inference.outputs import plan_outputs
from medssl.inference.predictor import NetOutput, Predictor
from medssl.io import read_image


class BrightestHalf(Predictor):
    """A toy predictor in the style of a label-transfer one: works on a 2 mm RAS grid."""

    name = "brightest half"

    def __init__(self, *, shift: int = 0) -> None:
        from medssl.preprocess import Pipeline

        self.pipeline = Pipeline.from_config(
            {"steps": [{"name": "reorient"}, {"name": "resample", "spacing": [2.0, 2.0, 2.0]}]}
        )
        self.shift, self.seen = shift, []

    def check(self, image):
        if not image.array.any():
            raise MedsslError(f"empty scan: {image.geometry.source}")
        return [f"looked at {image.geometry.source}"]

    def predict(self, sample):
        self.seen.append(sample.image.shape)
        labels = (sample.image > np.median(sample.image)).astype(np.uint8) * 3
        if self.shift:  # a buggy predictor: one voxel too many along x
            labels = np.pad(labels, ((0, self.shift), (0, 0), (0, 0)))
        return NetOutput(maps={"labels": labels}, labels=("labels",))


def _scans(tmp_path, n=2):
    image, _ = brain_like()
    return [write_nifti(tmp_path / f"s{i}.nii.gz", image + i, oblique_affine()) for i in range(n)]


def test_a_new_predictor_is_one_class(tmp_path):
    paths = _scans(tmp_path)
    notes: list[str] = []
    predictor = BrightestHalf()
    report = run_inference(
        plan_outputs(paths, tmp_path / "out"), predictor, progress=False, warn=notes.append
    )
    assert [p.name for p in report.written] == ["s0.nii.gz", "s1.nii.gz"]
    for path, written in zip(paths, report.written):
        mask, image = read_image(written, dtype=None), read_image(path)
        assert mask.geometry.matches(image.geometry)  # back in the oblique input grid
        assert set(np.unique(mask.array)) == {0, 3}
    assert len(notes) == 2 and len(predictor.seen) == 2


def test_output_off_the_grid_is_an_error(tmp_path):
    paths = _scans(tmp_path, 1)
    with pytest.raises(MedsslError, match="must have spatial shape"):
        run_inference(plan_outputs(paths, tmp_path / "out"), BrightestHalf(shift=1), progress=False)
    assert not any((tmp_path / "out").iterdir())  # nothing half-written


def test_every_input_is_validated_before_anything_is_written(tmp_path):
    good = _scans(tmp_path, 2)
    empty = write_nifti(tmp_path / "empty.nii.gz", np.zeros((8, 8, 8), np.float32), np.eye(4))
    four_d = write_nifti(tmp_path / "4d.nii.gz", np.ones((8, 8, 8, 2), np.float32), np.eye(4))
    jobs = plan_outputs([*good, empty, four_d], tmp_path / "out")
    with pytest.raises(
        MedsslError, match=r"empty scan: .*empty.nii.gz \(and 1 more failing input\)"
    ):
        run_inference(jobs, BrightestHalf(), progress=False, warn=lambda _: None)
    assert not (tmp_path / "out").exists()


def test_continue_on_error_writes_the_rest_and_fails_at_the_end(tmp_path, capsys):
    good = _scans(tmp_path, 2)
    four_d = write_nifti(tmp_path / "4d.nii.gz", np.ones((8, 8, 8, 2), np.float32), np.eye(4))
    missing = tmp_path / "gone.nii.gz"
    jobs = plan_outputs([good[0], four_d, missing, good[1]], tmp_path / "out")
    with pytest.raises(BatchError, match="2 of 4 inputs failed") as info:
        run_inference(
            jobs, BrightestHalf(), continue_on_error=True, progress=False, warn=lambda _: None
        )
    assert [p.name for p in info.value.written] == ["s0.nii.gz", "s1.nii.gz"]
    assert all(p.is_file() for p in info.value.written)
    assert sorted(s for s, _ in info.value.failures) == sorted([str(four_d), str(missing)])
    err = capsys.readouterr().err
    assert "choose one with --channel" in err and "input image not found" in err


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path, capsys):
    paths = _scans(tmp_path, 3)
    run_inference(
        plan_outputs(paths, tmp_path / "out"),
        BrightestHalf(),
        description="segment",
        warn=lambda _: None,
    )
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("medssl: segment")]
    assert lines[-1].startswith("medssl: segment: 3/3 cases") and "eta" in lines[-1]


def test_a_read_only_output_folder_fails_before_any_work(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    out = tmp_path / "ro"
    out.mkdir(mode=0o500)
    with pytest.raises(MedsslError, match="is not writable"):
        run_inference(plan_outputs(_scans(tmp_path, 1), out), BrightestHalf(), progress=False)


def test_validated_images_are_not_read_twice(tmp_path, monkeypatch):
    import medssl.io

    paths = _scans(tmp_path, 2)
    calls: list[str] = []
    real = medssl.io.read_image
    monkeypatch.setattr(
        medssl.io, "read_image", lambda p, **k: calls.append(str(p)) or real(p, **k)
    )
    run_inference(plan_outputs(paths, tmp_path / "out"), BrightestHalf(), progress=False, warn=len)
    assert sorted(calls) == sorted(map(str, paths))


def test_an_output_folder_below_a_file_fails_before_reading(tmp_path):
    paths = _scans(tmp_path, 1)
    read: list[str] = []
    with pytest.raises(
        MedsslError, match="output folder .* cannot be created: .*s0.nii.gz is a file"
    ):
        run_inference(
            plan_outputs(paths, paths[0] / "sub"), BrightestHalf(), progress=False, warn=read.append
        )
    assert read == []  # failed before any input was read


def test_out_of_memory_is_one_line(tmp_path):
    class Greedy(BrightestHalf):
        def predict(self, sample):
            raise RuntimeError("CUDA out of memory. Tried to allocate 80.00 GiB")

    paths = _scans(tmp_path, 1)
    with pytest.raises(MedsslError, match=r"out of memory predicting .*s0.nii.gz \(grid"):
        run_inference(plan_outputs(paths, tmp_path / "o"), Greedy(), progress=False, warn=len)

"""SIGINT/SIGTERM write a checkpoint that --resume continues exactly; progress lines in logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from tiny_method import TinyMethod

from medssl.cli.main import main
from medssl.engine import Trainer, load_checkpoint
from medssl.engine.signals import TrainingInterrupted
from medssl.methods import METHODS

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


class _Interrupting(TinyMethod):
    """Sends itself a signal after step ``at`` (``times`` times in a row)."""

    def __init__(self, *, at: int = 3, sig: int = signal.SIGINT, times: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.at, self.sig, self.times = at, sig, times

    def on_step_end(self, model, step: int) -> None:
        super().on_step_end(model, step)
        if step == self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), self.sig)


@pytest.fixture(autouse=True)
def _methods(monkeypatch):
    from medssl.methods.base import _ensure_builtin_methods

    _ensure_builtin_methods()
    monkeypatch.setitem(METHODS._items, "tiny_sig", TinyMethod)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        nib.save(
            nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)), folder / f"case{i}.nii.gz"
        )
    return folder


def _args(method, data, out, *extra):
    return [
        "pretrain", "--method", method, str(data), "--out", str(out), "--num-workers", "0",
        "--precision", "fp32", "--seed", "5", "--set", "model=tinynet",
        "--set", "progress=false", "--set", "ckpt_every=0", "--set", "log_every=1", *extra,
    ]  # fmt: skip


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr()


def _same_weights(a: Path, b: Path) -> None:
    sa = load_checkpoint(a / "checkpoints" / "last.pt")
    sb = load_checkpoint(b / "checkpoints" / "last.pt")
    assert sa["step"] == sb["step"]
    for key, value in sa["model_state"].items():
        torch.testing.assert_close(sb["model_state"][key], value, rtol=0, atol=0)


def _resume_and_compare(images, out, straight, steps, capsys):
    code, io = _run(_args("tiny_sig", images, out, "--steps", str(steps), "--resume"), capsys)
    assert code in (0, None), io.err
    code, io = _run(_args("tiny_sig", images, straight, "--steps", str(steps)), capsys)
    assert code in (0, None), io.err
    _same_weights(out, straight)
    rows = (out / "log.csv").read_text().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [str(s) for s in range(1, steps + 1)]


def test_sigint_writes_a_checkpoint_that_resume_continues_exactly(
    images, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "run"
    monkeypatch.setitem(METHODS._items, "tiny_sig", _Interrupting)
    code, io = _run(_args("tiny_sig", images, out, "--steps", "50"), capsys)
    monkeypatch.setitem(METHODS._items, "tiny_sig", TinyMethod)
    assert code == 130
    last = out / "checkpoints" / "last.pt"
    assert io.err.strip() == (
        f"medssl: interrupted by SIGINT at step 3; checkpoint {last} written; "
        "continue with --resume"
    )
    assert load_checkpoint(last)["step"] == 3 and not (out / "model.pt").exists()
    _resume_and_compare(images, out, tmp_path / "straight", 5, capsys)


def test_second_sigint_stops_at_once(images, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    monkeypatch.setitem(METHODS._items, "tiny_sig", _Interrupting)
    code, io = _run(
        _args("tiny_sig", images, out, "--steps", "50", "--set", "method_options.times=2"),
        capsys,
    )
    assert code == 130 and io.err.strip() == "medssl: second SIGINT: stopped at once"
    assert load_checkpoint(out / "checkpoints" / "last.pt")["step"] == 3


def test_trainer_raises_training_interrupted(tiny_cfg):
    method = _Interrupting(at=2, sig=signal.SIGTERM)
    with pytest.raises(TrainingInterrupted) as info:
        Trainer(method, tiny_cfg(steps=6)).fit()
    assert info.value.exit_code == 143 and info.value.step == 2
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


SLOW_RUN = textwrap.dedent(
    """
    import sys, time
    import torch
    from tiny_method import TinyMethod
    from medssl.cli.main import main
    from medssl.methods import METHODS
    from medssl.methods.base import _ensure_builtin_methods

    class Slow(TinyMethod):
        def loss(self, model, batch):
            time.sleep(0.05)
            return super().loss(model, batch)

    torch.set_num_threads(1)
    _ensure_builtin_methods()
    METHODS._items["tiny_sig"] = Slow
    main(sys.argv[1:])
    """
)


def _start_and_signal(images, tmp_path, sig, *extra, after: int = 3):
    """Run a slow pretrain in a child process; send ``sig`` once ``after`` steps are logged."""
    script = tmp_path / "slow_run.py"
    script.write_text(SLOW_RUN)
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(SRC)]), OMP_NUM_THREADS="1")
    args = _args("tiny_sig", images, out, "--steps", "100000", *extra)
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = out / "log.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) > after:
            break
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc, err, out


def _resume_in_one_thread(images, out, straight, steps, capsys):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the child: float sums depend on the thread count
    try:
        _resume_and_compare(images, out, straight, steps, capsys)
    finally:
        torch.set_num_threads(threads)


def test_sigterm_from_outside_checkpoints_and_exits_143(images, tmp_path, capsys):
    proc, err, out = _start_and_signal(images, tmp_path, signal.SIGTERM)
    assert proc.returncode == 143, err
    last_line = err.strip().splitlines()[-1]
    assert "Traceback" not in err and "interrupted by SIGTERM at step" in last_line
    step = load_checkpoint(out / "checkpoints" / "last.pt")["step"]
    assert step >= 3 and f"at step {step};" in err
    _resume_in_one_thread(images, out, tmp_path / "straight", step + 2, capsys)


def test_kill_9_then_resume_is_bit_identical(images, tmp_path, capsys):
    proc, _, out = _start_and_signal(images, tmp_path, signal.SIGKILL, "--set", "ckpt_every=2")
    assert proc.returncode == -signal.SIGKILL
    step = load_checkpoint(out / "checkpoints" / "last.pt")["step"]
    assert step >= 2 and step % 2 == 0
    _resume_in_one_thread(images, out, tmp_path / "straight", step + 3, capsys)


def test_progress_lines_when_stderr_is_not_a_terminal(tiny_cfg, tiny_method, capsys):
    Trainer(tiny_method(), tiny_cfg(steps=4, log_every=2, progress=True)).fit()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("medssl: tiny: step 2/4 (50%), loss ") and ", eta " in lines[0]
    assert lines[1].startswith("medssl: tiny: step 4/4 (100%), loss ") and "eta 0s" in lines[1]


def _ddp_worker(rank: int, out: str, port: int) -> None:
    from medssl.config import TrainConfig

    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
    )  # fmt: skip
    cfg = TrainConfig(
        method="tiny", model="tinynet", steps=50, batch_size=2, precision="fp32",
        num_workers=0, ckpt_every=0, out=f"{out}/run", progress=False, device="cpu",
    )  # fmt: skip
    # Only rank 1 receives the signal; both ranks must stop after the same step.
    method = _Interrupting(at=2, sig=signal.SIGTERM) if rank == 1 else TinyMethod()
    try:
        Trainer(method, cfg).fit()
    except TrainingInterrupted as exc:
        torch.save({"step": exc.step, "code": exc.exit_code}, f"{out}/rank{rank}.pt")


def test_signal_to_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    import torch.multiprocessing as mp
    from test_distributed import _free_port

    mp.start_processes(
        _ddp_worker, args=(str(tmp_path), _free_port()), nprocs=2, start_method="fork"
    )
    for rank in (0, 1):
        assert torch.load(tmp_path / f"rank{rank}.pt") == {"step": 2, "code": 143}
    last = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert last["step"] == 2 and len(last["rng"]) == 2

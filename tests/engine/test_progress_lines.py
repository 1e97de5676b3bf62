"""One switch decides bar or lines for every command and the engine; one line format."""

from __future__ import annotations

import re

import pytest

LINE = re.compile(r"^medssl: .+, \d+s elapsed, eta \d+s$")


@pytest.mark.parametrize("terminal", [True, False])
def test_run_log_follows_the_shared_terminal_switch(tmp_path, monkeypatch, terminal):
    import medssl.progress
    from medssl.engine.run_log import RunLog

    monkeypatch.setattr(medssl.progress, "stderr_is_terminal", lambda: terminal)
    log = RunLog(tmp_path, total_steps=4, tensorboard=False)
    try:
        assert (log._bar is not None) is terminal
        assert (log._lines is None) is terminal
    finally:
        log.close()


def test_engine_and_batch_lines_share_one_format(tmp_path, monkeypatch, capsys):
    import medssl.progress
    from medssl.engine.run_log import StepLines

    monkeypatch.setattr(medssl.progress, "stderr_is_terminal", lambda: False)
    list(medssl.progress.track_logged(range(3), "segment", every=3))
    StepLines("genesis", 10).update(5, "loss 0.3")
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("medssl: segment: 3/3 cases, ")
    assert lines[1].startswith("medssl: genesis: step 5/10 (50%), loss 0.3, ")
    assert all(LINE.match(line) for line in lines), lines
    from medssl.engine import run_log

    assert not hasattr(run_log, "_duration") and not hasattr(run_log, "_stderr_is_terminal")

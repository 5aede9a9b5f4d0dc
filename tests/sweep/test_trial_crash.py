"""SIGKILL while a sweep worker records a finished trial (its numbers stored, the study not yet told): the next
run fails the dead worker's trial, re-queues its point, reads the finished run folder back instead of training
it again, and the sweep's results equal those of an uninterrupted sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from toonlab.cli import main
from toonlab.sweep import claims
from toonlab.sweep.storage import storage_url
from toonlab.testing import make_toy_cartoonset, read_csv, write_tiny_sweep

WORKER = Path(__file__).resolve().parents[1] / "crash_worker.py"
SPACE = {"train.lr": {"grid": [0.01, 0.002]}}


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_killed_while_recording_a_trial_the_sweep_resumes_to_the_same_results(tmp_path, capsys):
    data = make_toy_cartoonset(tmp_path / "toy", n=40, size=16)
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", SPACE, epochs=1)
    killed, full = tmp_path / "killed", tmp_path / "full"
    argv = ["sweep", str(sweep_file), str(data), "--threads", "1", "-q"]
    env = {**os.environ, "TOONLAB_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(WORKER), "trial-tell", "1", *argv, "--out", str(killed)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    [orphan] = _study(killed).get_trials(states=(TrialState.RUNNING,))  # numbers stored, never told
    history = killed / orphan.user_attrs["folder"] / "history.csv"
    trained_at = history.stat().st_mtime_ns

    assert main([*argv, "--out", str(killed)]) == 0
    assert main([*argv, "--out", str(full)]) == 0
    capsys.readouterr()
    assert history.stat().st_mtime_ns == trained_at  # read back, not trained again
    trials = _study(killed).trials
    assert [(claims.slot_of(t), t.state) for t in trials] == [
        (0, TrialState.FAIL), (1, TrialState.COMPLETE), (0, TrialState.COMPLETE)]
    assert _results(killed) == _results(full)


def _study(out: Path) -> optuna.Study:
    return optuna.load_study(study_name="grid", storage=optuna.storages.RDBStorage(storage_url(out, None)))


def _results(out: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if "time" not in k} for row in read_csv(out / "results.csv")]

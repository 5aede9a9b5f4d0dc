"""Two worker processes share one sweep through a real PostgreSQL server: every point once, and a killed
worker's point is re-queued and finished by the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from toonlab.cli import main
from toonlab.sweep import claims
from toonlab.testing import make_toy_cartoonset, read_csv, write_tiny_sweep

GRID = {"model.head_width": {"grid": [8, 16, 24]}, "train.lr": {"grid": [0.01, 0.002]}}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_cartoonset(tmp_path_factory.mktemp("data") / "toy", n=60, size=24)


def _worker(sweep_file, toy, out, url) -> subprocess.Popen:
    """One ``toonlab sweep`` worker process, as ``--workers N`` starts them."""
    cmd = [sys.executable, "-m", "toonlab", "sweep", str(sweep_file), str(toy), "--out", str(out), "--storage", url,
           "--threads", "1", "--heartbeat", "5", "--worker", "-q"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _study(url: str) -> optuna.Study:
    return optuna.load_study(study_name="grid", storage=optuna.storages.RDBStorage(url))


def _wait(proc: subprocess.Popen, timeout: float = 240) -> str:
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, output
    return output


def _completed(study: optuna.Study) -> Counter:
    return Counter(claims.slot_of(t) for t in study.get_trials(states=(TrialState.COMPLETE,)))


def test_two_workers_train_every_point_exactly_once(toy, tmp_path, postgres_db, capsys):
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", GRID, epochs=8)
    out = tmp_path / "out"
    procs = [_worker(sweep_file, toy, out, postgres_db) for _ in range(2)]
    for p in procs:
        _wait(p)
    study = _study(postgres_db)
    assert _completed(study) == Counter(range(6))
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert len({t.user_attrs[claims.WORKER] for t in done}) == 2  # both workers trained
    assert main(["sweep", str(sweep_file), str(toy), "--out", str(out), "--storage", postgres_db, "--report"]) == 0
    rows = read_csv(out / "results.csv")
    assert len(rows) == 6 and {r["state"] for r in rows} == {"complete"}
    assert "rank" in capsys.readouterr().out


def test_a_killed_worker_does_not_lose_its_point(toy, tmp_path, postgres_db):
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", GRID, epochs=25)
    out = tmp_path / "out"
    victim, survivor = (_worker(sweep_file, toy, out, postgres_db) for _ in range(2))
    killed_trial = _kill_mid_trial(victim, postgres_db)
    _wait(survivor)
    study = _study(postgres_db)
    assert _completed(study) == Counter(range(6))
    killed = study.trials[killed_trial]
    assert killed.state == TrialState.FAIL and claims.ERROR not in killed.user_attrs
    attempts = claims.attempts(study)[claims.slot_of(killed)]  # duplicates voided by the guard left out
    assert [t.state for t in attempts[:-1]] == [TrialState.FAIL] * (len(attempts) - 1)
    assert attempts[-1].state == TrialState.COMPLETE and killed.number in [t.number for t in attempts[:-1]]
    assert attempts[-1].user_attrs[claims.WORKER].endswith(f":{survivor.pid}")


def _kill_mid_trial(victim: subprocess.Popen, url: str, timeout: float = 120) -> int:
    """SIGKILL ``victim`` while it trains a trial; returns that trial's number."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            running = _study(url).get_trials(states=(TrialState.RUNNING,))
        except KeyError:  # the study is not created yet
            running = []
        mine = [t for t in running if str(t.user_attrs.get(claims.WORKER, "")).endswith(f":{victim.pid}")]
        if mine and "folder" in mine[0].user_attrs:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            return mine[0].number
        assert victim.poll() is None, victim.communicate()[0]
        time.sleep(0.05)
    raise AssertionError("the victim worker never started a trial")

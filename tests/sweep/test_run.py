"""``toonlab sweep`` in one process on SQLite: grid, rounds, sampled trials, resume, re-queue and the results."""

from __future__ import annotations

import json
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from toonlab.cli import main
from toonlab.config import resolve_config
from toonlab.sweep import claims, load_sweep
from toonlab.sweep.run import run_sweep
from toonlab.sweep.storage import open_storage, storage_url
from toonlab.sweep.worker import Sweep, work
from toonlab.testing import make_toy_cartoonset, read_csv, write_tiny_sweep

GRID = {"model.head_width": {"grid": [8, 16, 24]}, "train.lr": {"grid": [0.01, 0.002]}}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_cartoonset(tmp_path_factory.mktemp("data") / "toy", n=60, size=24)


def _study(out, name, round_no=None):
    storage = optuna.storages.RDBStorage(storage_url(out, None))
    return optuna.load_study(study_name=name if round_no is None else f"{name}.round{round_no}", storage=storage)


def _completed_per_slot(study) -> Counter:
    return Counter(claims.slot_of(t) for t in study.get_trials(states=(TrialState.COMPLETE,)))


def test_grid_trains_every_point_once_and_writes_results(toy, tmp_path, capsys):
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", GRID)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    study = _study(out, "grid")
    assert _completed_per_slot(study) == Counter(range(6))
    assert len(study.trials) == 6
    rows = read_csv(out / "results.csv")
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    losses = [float(r["val_loss"]) for r in rows]
    assert losses == sorted(losses)
    assert rows[0]["test_acc"] and not any(r["test_acc"] for r in rows[1:])  # test numbers of the best only
    assert {(r["model.head_width"], r["train.lr"]) for r in rows} == {(w, lr) for w in ("8", "16", "24")
                                                                     for lr in ("0.01", "0.002")}
    for r in rows:
        trial = out / r["folder"]
        assert (trial / "metrics.json").exists() and list((trial / "tb").iterdir())
    assert (out / "plots" / "trials.png").stat().st_size > 0
    assert "rank" in printed and "test_acc" in printed
    best = resolve_config(yaml_path=out / "best.yaml")
    assert best.model.head_width == int(rows[0]["model.head_width"]) and best.train.lr == float(rows[0]["train.lr"])
    assert best.train.monitor == "val_loss" and best.data.path == str(toy)


def test_running_it_again_resumes_without_repeating_trials(toy, tmp_path, capsys):
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", {"train.lr": {"grid": [0.01, 0.002]}})
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(out), "-q"]) == 0
    first = read_csv(out / "results.csv")
    capsys.readouterr()
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(out), "-q"]) == 0
    assert "started" not in capsys.readouterr().out
    assert len(_study(out, "grid").trials) == 2 and read_csv(out / "results.csv") == first


def test_a_changed_sweep_file_is_refused(toy, tmp_path, capsys):
    sweep_file = write_tiny_sweep(tmp_path / "grid.yaml", {"train.lr": {"grid": [0.01]}})
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(out), "-q"]) == 0
    write_tiny_sweep(sweep_file, {"train.lr": {"grid": [0.01, 0.1]}})
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(out), "-q"]) == 2
    assert "different sweep" in capsys.readouterr().err


def test_rounds_keep_the_best_on_growing_subsets(toy, tmp_path, capsys):
    rounds = [{"subset": 30, "epochs": 1, "val_fraction": 0.3}, {"subset": 0.75, "epochs": 2, "keep": 3},
              {"subset": 1.0, "epochs": 2, "keep": 0.5}]
    space = {"model.widths": {"stack": {"depth": [1, 2], "width": [4, 8]}}, "model.head_depth": {"grid": [0, 1]}}
    out = tmp_path / "out"
    report = run_sweep(load_sweep(write_tiny_sweep(tmp_path / "r.yaml", space, {"kind": "rounds", "rounds": rounds})),
                       out, data=str(toy), say=lambda _: None)
    studies = [_study(out, "r", r) for r in (1, 2, 3)]
    assert [len(s.trials) for s in studies] == [8, 3, 2]
    one, two = studies[0], studies[1]
    ranked = sorted(one.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: (t.value, claims.slot_of(t)))
    assert {claims.slot_of(t) for t in two.trials} == {claims.slot_of(t) for t in ranked[:3]}
    first = json.loads((out / "round-1" / "p000" / "metrics.json").read_text())
    assert first["images"]["used"] == 30 and first["images"]["left_out"] == 30
    assert first["splits"]["val"] == 9  # round 1's val_fraction 0.3
    last = json.loads((out / "round-3" / report.rows[0].folder.split("/")[-1] / "metrics.json").read_text())
    assert last["images"]["used"] == 60
    assert [r.round for r in report.rows] == [3, 3, 2, 1, 1, 1, 1, 1]
    assert sorted(p.name for p in report.plots) == ["round-1.png", "round-2.png", "round-3.png"]


def test_tpe_with_pruning_spends_the_budget(toy, tmp_path):
    space = {"train.lr": {"log_range": [5e-4, 5e-2]}, "model.head_width": {"range": [8, 32], "int": True},
             "model.dropout": {"choice": [0.0, 0.2]}}
    sweep_file = write_tiny_sweep(tmp_path / "t.yaml", space, {"kind": "tpe", "trials": 5, "prune": "halving"},
                                  metric="val_acc", epochs=3)
    report = run_sweep(load_sweep(sweep_file), tmp_path / "out", data=str(toy), say=lambda _: None)
    assert len(report.rows) == 5 and {r.state for r in report.rows} <= {"complete", "pruned"}
    assert all(8 <= r.point["model.head_width"] <= 32 and 5e-4 <= r.point["train.lr"] <= 5e-2 for r in report.rows)
    assert report.rows[0].state == "complete" and (tmp_path / "out" / "best.yaml").exists()


def _sweep(sweep_file, out, toy, **kw) -> Sweep:
    spec = load_sweep(sweep_file)
    heartbeat, grace = kw.pop("heartbeat", 10), kw.pop("grace", None)
    return Sweep(spec, out, open_storage(storage_url(out, None), heartbeat=heartbeat, grace=grace), spec.path.stem,
                 str(toy), heartbeat=heartbeat, say=lambda _: None, **kw)


def test_a_killed_trial_is_requeued_and_its_point_completes(toy, tmp_path):
    sweep = _sweep(write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01, 0.002]}}), tmp_path, toy)
    study = sweep.study()
    claims.top_up(study, {0: {"train.lr": 0.01}, 1: {"train.lr": 0.002}}, max_retries=2)
    victim = claims.claim(study)
    study.tell(victim, state=TrialState.FAIL)  # as fail_stale leaves a trial whose worker died
    work(sweep)
    per_slot = Counter(claims.slot_of(t) for t in study.trials)
    assert per_slot[claims.slot_of(study.trials[victim.number])] == 2
    assert _completed_per_slot(study) == Counter({0: 1, 1: 1})


def test_a_running_trial_of_a_dead_local_process_is_failed_at_once(toy, tmp_path):
    sweep = _sweep(write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01]}}), tmp_path, toy)
    study = sweep.study()
    claims.top_up(study, {0: {"train.lr": 0.01}}, max_retries=2)
    orphan = claims.claim(study)
    orphan.set_user_attr(claims.WORKER, f"{claims.worker_id().rpartition(':')[0]}:999999999")  # no such pid
    work(sweep)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.COMPLETE]


def test_a_silent_trial_of_another_machine_fails_after_its_grace(toy, tmp_path):
    sweep = _sweep(write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01]}}), tmp_path, toy,
                   heartbeat=1, grace=2)
    study = sweep.study()
    claims.top_up(study, {0: {"train.lr": 0.01}}, max_retries=2)
    silent = claims.claim(study)
    silent.set_user_attr(claims.WORKER, "elsewhere:1")  # its heartbeat was recorded once, never again
    work(sweep)  # waits out the 2 s grace, fails it, re-queues the point and trains it
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]


def test_a_second_copy_of_a_point_is_voided_not_trained(toy, tmp_path):
    sweep = _sweep(write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01]}}), tmp_path, toy)
    study = sweep.study()
    for _ in range(2):  # two workers raced to enqueue the same point
        study.enqueue_trial({"train.lr": 0.01}, user_attrs={claims.SLOT: 0})
    work(sweep)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert claims.VOID in trials[1].user_attrs and len(list((tmp_path / "trials").iterdir())) == 1


def test_a_failing_point_is_a_result_not_a_retry(toy, tmp_path, monkeypatch):
    from toonlab.sweep import worker

    real = worker.run_trial

    def flaky(cfg, folder, *args, **kwargs):
        if cfg.train.lr > 0.005:
            raise RuntimeError("the loss diverged")
        return real(cfg, folder, *args, **kwargs)

    monkeypatch.setattr(worker, "run_trial", flaky)
    sweep_file = write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01, 0.002]}})
    report = run_sweep(load_sweep(sweep_file), tmp_path / "out", data=str(toy), say=lambda _: None)
    assert [r.state for r in report.rows] == ["complete", "failed: RuntimeError: the loss diverged"]
    assert len(_study(tmp_path / "out", "g").trials) == 2 and not report.unfinished


@pytest.mark.parametrize("storage, expected", [
    ("nosuchdb://x", "Cannot open the sweep storage"),
    ("postgresql://user:secret@127.0.0.1:1/db", "Cannot open the sweep storage"),
])
def test_bad_storage_is_one_clear_message(toy, tmp_path, capsys, storage, expected):
    sweep_file = write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01]}})
    assert main(["sweep", str(sweep_file), str(toy), "-o", str(tmp_path / "o"), "--storage", storage]) == 2
    err = capsys.readouterr().err
    assert expected in err and "secret" not in err and "Traceback" not in err


def test_missing_data_is_refused(tmp_path, capsys):
    sweep_file = write_tiny_sweep(tmp_path / "g.yaml", {"train.lr": {"grid": [0.01]}})
    assert main(["sweep", str(sweep_file), "-o", str(tmp_path / "o")]) == 2
    assert "No data folder" in capsys.readouterr().err

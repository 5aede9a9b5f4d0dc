"""The search clock: a time budget kept in the study across runs, and trials stopped at its deadline."""

from __future__ import annotations

import datetime

import optuna
import pytest

from toonlab.sweep import clock as clock_module
from toonlab.sweep.clock import SPENT, SearchClock
from toonlab.sweep.trial import ReportToTrial


@pytest.fixture
def fake_time(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    return now


def _finished(study, seconds: float, state=optuna.trial.TrialState.COMPLETE):
    start = datetime.datetime(2026, 1, 1)
    trial = optuna.trial.create_trial(state=state, value=1.0 if state == optuna.trial.TrialState.COMPLETE else None,
                                      intermediate_values={1: 1.0})
    trial.datetime_start, trial.datetime_complete = start, start + datetime.timedelta(seconds=seconds)
    study.add_trial(trial)


def test_the_clock_counts_earlier_runs_and_stops_when_a_typical_trial_no_longer_fits(fake_time):
    study = optuna.create_study()
    study.set_user_attr(SPENT, 40.0)  # an earlier run of the same search
    clock = SearchClock(100.0)
    clock.attach(study)
    assert clock.left() == 60.0 and clock.fits_another()  # no finished trial yet: the first one may start
    _finished(study, 30.0)
    _finished(study, 50.0)
    _finished(study, 5.0, optuna.trial.TrialState.PRUNED)  # pruned trials do not make the typical one shorter
    fake_time[0] += 15.0
    assert clock.left() == 45.0 and clock.fits_another()  # the median completed trial (40 s) fits
    fake_time[0] += 10.0
    assert clock.left() == 35.0 and not clock.fits_another()  # it no longer does


def test_the_clock_saves_what_it_spent_and_stops_counting(fake_time):
    study = optuna.create_study()
    clock = SearchClock(100.0)
    clock.attach(study)
    fake_time[0] += 12.5
    clock.stop()
    fake_time[0] += 50.0
    assert study.user_attrs[SPENT] == 12.5 and clock.spent() == 12.5
    again = SearchClock(20.0)
    again.attach(study)
    assert again.left() == 7.5
    fake_time[0] += 8.0
    assert again.left() == -0.5 and not again.fits_another()


def test_a_trial_past_the_deadline_stops_after_its_epoch_unless_it_was_the_last(fake_time):
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    watch = ReportToTrial(trial, "val_acc", prune=False, deadline=fake_time[0] + 5.0, epochs=3)
    watch.on_epoch_end(None, 1, {"val_acc": 0.5})  # before the deadline: goes on
    fake_time[0] += 6.0
    watch.on_epoch_end(None, 3, {"val_acc": 0.7})  # past it, but the last epoch: the trial completes
    with pytest.raises(optuna.TrialPruned, match="stopped by the time budget after epoch 2 with val_acc 0.6"):
        watch.on_epoch_end(None, 2, {"val_acc": 0.6})
    assert trial.storage.get_trial(trial._trial_id).intermediate_values == {1: 0.5, 2: 0.6, 3: 0.7}

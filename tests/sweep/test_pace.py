"""The count and time left on each finished trial's line."""

from __future__ import annotations

from toonlab.sweep.pace import TrialPace


def test_before_any_trial_is_timed_only_the_count_shows():
    assert TrialPace().describe(finished=0, total=12, running=1) == "0/12 trials"


def test_the_time_left_is_the_mean_trial_time_times_the_trials_left_shared_by_the_workers():
    pace = TrialPace()
    pace.seconds, pace.trials = 60.0, 2  # two trials took 30 s each
    assert pace.describe(finished=2, total=12, running=1) == "2/12 trials · ETA 5m00s"
    assert pace.describe(finished=2, total=12, running=4) == "2/12 trials · ETA 1m30s"  # ceil(10 / 4) rounds
    assert pace.describe(finished=12, total=12, running=1) == "12/12 trials"


def test_under_a_time_budget_only_the_trials_done_show():
    assert TrialPace().describe(finished=3, total=None, running=1) == "3 trials done"


def test_start_and_stop_time_one_trial():
    pace = TrialPace()
    pace.stop()  # nothing started: nothing counted
    pace.start()
    pace.stop()
    assert pace.trials == 1 and pace.seconds >= 0

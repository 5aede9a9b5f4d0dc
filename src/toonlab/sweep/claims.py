"""Which trial runs where: slots, claiming, re-queueing and duplicate guards over an Optuna study.

A *slot* is one thing the sweep must train: a grid point (its index) or a sampled trial (its
number). Trials are attempts at a slot; user attributes tie them together:

- ``slot``: the slot a trial is an attempt at (absent on a freshly sampled trial: its own number);
- ``worker``: ``host:pid`` of the process running it;
- ``error``: the trial raised (diverged, bad config): a result, not retried;
- ``void``: the trial was claimed but not run (another attempt at its slot won, or the budget was
  already spent); it is not an attempt and not a result;
- ``interrupted``: stopped by Ctrl-C; re-queued like a killed trial.

A slot is *done* when an attempt completed, was pruned or raised; *live* while an attempt waits or
runs. Every worker re-queues slots that are neither (killed attempts, up to ``max_retries``), and
claims waiting trials with Optuna's atomic WAITING → RUNNING switch. Two workers can still race
to enqueue the same slot, so after claiming, a trial checks its slot: if another attempt is done,
or live with a lower number, this one is void. That keeps every grid point trained once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from collections import defaultdict
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

log = logging.getLogger(__name__)
SLOT, WORKER, ERROR, VOID, INTERRUPTED = "slot", "worker", "error", "void", "interrupted"
LIVE = (TrialState.WAITING, TrialState.RUNNING)


def worker_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def slot_of(trial: FrozenTrial) -> int:
    return int(trial.user_attrs.get(SLOT, trial.number))


def is_void(trial: FrozenTrial) -> bool:
    return trial.state == TrialState.FAIL and VOID in trial.user_attrs


def is_done(trial: FrozenTrial) -> bool:
    """Completed, pruned, or failed with an error of its own (not killed, not interrupted)."""
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
        trial.state == TrialState.FAIL and ERROR in trial.user_attrs)


def is_killed(trial: FrozenTrial) -> bool:
    """Failed without a result: its worker died or was interrupted."""
    return trial.state == TrialState.FAIL and not is_done(trial) and not is_void(trial)


def attempts(study: optuna.Study) -> dict[int, list[FrozenTrial]]:
    """``{slot: [trials]}`` in trial-number order, void trials left out."""
    out: dict[int, list[FrozenTrial]] = defaultdict(list)
    for t in study.get_trials(deepcopy=False):
        if not is_void(t):
            out[slot_of(t)].append(t)
    return out


def top_up(study: optuna.Study, slots: dict[int, dict[str, Any] | None], *, max_retries: int) -> list[int]:
    """Enqueue every slot that is neither done nor live; returns the slots enqueued.

    ``slots`` maps slot → encoded params, or None for "the params of its last attempt" (sampled slots).
    A slot whose attempts were killed more than ``max_retries`` times is given up.
    """
    tries = attempts(study)
    queued = []
    for slot, params in slots.items():
        trials = tries.get(slot, [])
        if any(is_done(t) or t.state in LIVE for t in trials):
            continue
        if sum(is_killed(t) for t in trials) > max_retries:
            continue
        study.enqueue_trial(params if params is not None else trials[-1].params, user_attrs={SLOT: slot})
        queued.append(slot)
    return queued


def claim(study: optuna.Study) -> optuna.Trial | None:
    """Switch one waiting trial to RUNNING for this process (atomic across workers), or None."""
    storage = study._storage  # the storage object the study was opened with
    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING):
                storage.record_heartbeat(t._trial_id)  # a trial with no heartbeat could never go stale
                trial = optuna.Trial(study, t._trial_id)
                trial.set_user_attr(WORKER, worker_id())
                return trial
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    return None


def winner(study: optuna.Study, trial: optuna.Trial) -> int | None:
    """The number of another attempt at this trial's slot that takes precedence, or None if it runs."""
    slot = int(trial.user_attrs.get(SLOT, trial.number))
    for t in attempts(study).get(slot, []):
        if t.number == trial.number:
            continue
        if is_done(t) or (t.state in LIVE and t.number < trial.number):
            return t.number
    return None


def fail_stale(study: optuna.Study) -> None:
    """Fail running trials whose heartbeat stopped, and at once those of dead processes on this host."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner, _, pid = str(t.user_attrs.get(WORKER, "")).rpartition(":")
        if owner == host and pid.isdigit() and not _alive(int(pid)):
            try:
                study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
            except optuna.exceptions.UpdateFinishedTrialError:
                pass


def running(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Heartbeat:
    """Record a trial's heartbeat every ``interval`` seconds in a thread, while in the ``with`` block."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, interval: float) -> None:
        self.storage, self.trial_id, self.interval = study._storage, trial._trial_id, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="toonlab-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:  # noqa: PYI034
        self.storage.record_heartbeat(self.trial_id)  # at once: a trial with no heartbeat never goes stale
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception as e:  # noqa: BLE001 - a lost connection: the next beat tries again
                log.debug("heartbeat of trial %d not recorded: %s", self.trial_id, e)

"""A sweep worker: claims trials from the shared study and trains them until nothing is left.

Any number of workers (``--workers N`` processes, or the same command on other machines) run
this loop against one storage. Grid-like strategies train a fixed set of slots (the points);
``rounds`` does so once per round, every worker waiting for a round to finish before ranking it;
``random``/``tpe`` sample new trials until the trial budget is spent, or the time budget of a
:class:`~toonlab.sweep.clock.SearchClock` (one worker only).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from toonlab.config import to_dict
from toonlab.sweep import claims
from toonlab.sweep.claims import ERROR, INTERRUPTED, SLOT, VOID
from toonlab.sweep.clock import SearchClock
from toonlab.sweep.pace import TrialPace
from toonlab.sweep.params import encode_point, short, suggest
from toonlab.sweep.spec import Round, SweepSpec, grid_points, round_plan
from toonlab.sweep.storage import SweepError
from toonlab.sweep.trial import run_trial, trial_config

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)  # toonlab says what each trial does itself
FINGERPRINT = "sweep"
FOLDER = "folder"


@dataclass
class Sweep:
    """What every worker of one sweep shares: the spec, the sweep folder, the storage and study name."""

    spec: SweepSpec
    out: Path
    storage: optuna.storages.BaseStorage
    name: str
    data: str | None = None
    threads: int | None = None
    heartbeat: float = 10.0
    max_retries: int = 2
    say: Callable[[str], None] = field(default=print)
    clock: SearchClock | None = None  # random/tpe with one worker: stop sampling when its budget is spent
    trials: int | None = None  # random/tpe: a cap instead of strategy.trials, outside the fingerprint (may change)
    pace: TrialPace = field(default_factory=TrialPace)  # this worker's trial times, for the ETA on each trial's line
    total: int | None = None  # trials of the current study (round); None under a time budget

    @property
    def poll(self) -> float:
        return min(self.heartbeat, 5.0)

    def study_name(self, round_no: int | None = None) -> str:
        return self.name if round_no is None else f"{self.name}.round{round_no}"

    def study(self, round_no: int | None = None) -> optuna.Study:
        """Create (or join) the study of one round, or of the whole sweep; refuse a changed sweep file."""
        s = self.spec
        sampler = optuna.samplers.TPESampler(seed=s.seed) if s.strategy.kind == "tpe" \
            else optuna.samplers.RandomSampler(seed=s.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(storage=self.storage, study_name=self.study_name(round_no),
                                        direction="minimize" if s.direction == "min" else "maximize",
                                        sampler=sampler, pruner=_pruner(s), load_if_exists=True)
        _check_fingerprint(study, fingerprint(s), self.out)
        return study


class SweepChanged(SweepError):
    """The study in this storage was started from a different sweep (space, strategy, metric or base config)."""


def fingerprint(spec: SweepSpec) -> str:
    """What must not change while a study is resumed: the points or space, strategy, metric and base config."""
    space = [[p.key, p.kind, list(p.values), p.low, p.high, p.int] + ([p.presets] if p.presets else [])
             for p in spec.space]  # presets only where present: older studies keep their fingerprint
    return json.dumps({"space": space, "strategy": repr(spec.strategy), "metric": spec.metric,
                       "base": to_dict(spec.base)}, sort_keys=True, default=str)


def work(sweep: Sweep) -> None:
    """Train this worker's share of the whole sweep (every round in turn)."""
    kind = sweep.spec.strategy.kind
    if kind in ("random", "tpe"):
        work_sampled(sweep, sweep.study())
    elif kind == "rounds":
        points = grid_points(sweep.spec)
        slots = list(range(len(points)))
        for r, (round_, n) in enumerate(round_plan(sweep.spec, len(points)), 1):
            if r > 1:
                slots = best_slots(sweep.study(r - 1), n)
            work_points(sweep, sweep.study(r), {i: points[i] for i in slots}, round_, r)
    else:
        points = grid_points(sweep.spec)
        work_points(sweep, sweep.study(), dict(enumerate(points)), None, None)


def best_slots(study: optuna.Study, n: int) -> list[int]:
    """The ``n`` best completed slots of a finished round (ties: lower slot first)."""
    done = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
    sign = 1 if study.direction == optuna.study.StudyDirection.MINIMIZE else -1
    ranked = sorted(done, key=lambda t: (sign * t.value, claims.slot_of(t)))
    return sorted(claims.slot_of(t) for t in ranked[:n])


def work_points(sweep: Sweep, study: optuna.Study, points: dict[int, dict[str, Any]], round_: Round | None,
                round_no: int | None) -> None:
    """Train the given points (slot → point) until each is done, claiming them one at a time."""
    encoded = {i: encode_point(p) for i, p in points.items()}
    sweep.total = len(points)
    while True:
        claims.fail_stale(study)
        claims.top_up(study, encoded, max_retries=sweep.max_retries)
        trial = claims.claim(study)
        if trial is not None:
            slot = int(trial.user_attrs[SLOT])
            folder = sweep.out / (f"round-{round_no}" if round_no else "trials") / f"p{slot:03d}"
            _run_claimed(sweep, study, trial, points[slot], round_, folder, round_no)
        elif claims.running(study):
            time.sleep(sweep.poll)  # others still train; one of them may die and need re-queueing
        else:
            return


def work_sampled(sweep: Sweep, study: optuna.Study) -> None:
    """Sample and train trials until ``strategy.trials`` slots are done or under way, or the clock says stop."""
    budget, clock = sweep.trials or sweep.spec.strategy.trials, sweep.clock
    sweep.total = budget if clock is None else None
    if clock is not None:
        clock.attach(study)
    while True:
        if clock is not None and not clock.fits_another():
            return
        claims.fail_stale(study)
        tries = claims.attempts(study)
        claims.top_up(study, {slot: None for slot in tries}, max_retries=sweep.max_retries)
        trial = claims.claim(study)
        if trial is None and len(tries) < budget:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # Optuna: heartbeats are meant for optimize()
                trial = study.ask()
            trial.set_user_attr(claims.WORKER, claims.worker_id())
            fresh = SLOT not in trial.user_attrs  # ask() may also pop a trial re-queued meanwhile
            if fresh and sum(1 for slot in claims.attempts(study) if slot < trial.number) >= budget:
                _void(study, trial, "the trial budget was already spent")
                continue
        if trial is not None:
            slot = int(trial.user_attrs.get(SLOT, trial.number))
            folder = sweep.out / "trials" / f"t{slot:03d}"
            point = {p.key: suggest(trial, p) for p in sweep.spec.space}
            try:
                _run_claimed(sweep, study, trial, point, None, folder, None, sampled=True)
            finally:
                if clock is not None:
                    clock.save()
        elif claims.running(study):
            time.sleep(sweep.poll)
        else:
            return


def _run_claimed(sweep: Sweep, study: optuna.Study, trial: optuna.Trial, point: dict[str, Any],
                 round_: Round | None, folder: Path, round_no: int | None, *, sampled: bool = False) -> None:
    """Run one claimed trial under a heartbeat and tell the study how it ended."""
    with claims.Heartbeat(study, trial, sweep.heartbeat):
        first = claims.winner(study, trial)
        if first is not None:
            _void(study, trial, f"trial {first} trains the same point")
            return
        if not sampled:
            for p in sweep.spec.space:
                if p.key in point:
                    suggest(trial, p)  # records the point as the trial's Optuna params
        trial.set_user_attr(FOLDER, str(folder.relative_to(sweep.out)))
        where = f"round {round_no} " if round_no else ""
        cfg = trial_config(sweep.spec, point, round_, data=sweep.data, threads=sweep.threads)
        sweep.say(f"{where}trial {folder.name} started: {short(point) or 'base config'}")
        _train(sweep, study, trial, cfg, folder, where)


def _train(sweep: Sweep, study: optuna.Study, trial: optuna.Trial, cfg, folder: Path, where: str) -> None:
    spec = sweep.spec
    prune = spec.strategy.prune != "none"
    deadline = sweep.clock.deadline() if sweep.clock is not None else None
    sweep.pace.start()
    try:
        result = run_trial(cfg, folder, spec.metric, spec.direction, trial=trial, prune=prune, deadline=deadline)
    except optuna.TrialPruned as e:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        _say_ended(sweep, study, f"{where}trial {folder.name} {e}")
    except KeyboardInterrupt:
        trial.set_user_attr(INTERRUPTED, True)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        raise
    except Exception as e:  # noqa: BLE001 - the trial's own failure (diverged, bad point): a result, not retried
        trial.set_user_attr(ERROR, f"{type(e).__name__}: {e}"[:1000])
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        _say_ended(sweep, study, f"{where}trial {folder.name} failed: {type(e).__name__}: "
                                 f"{str(e).splitlines()[0] if str(e) else ''}")
    else:
        for key, value in {"epochs": result.epochs, "wall_time_s": result.wall_time_s, **result.test}.items():
            trial.set_user_attr(key, value)
        study.tell(trial, result.value)
        _say_ended(sweep, study, f"{where}trial {folder.name} done: {spec.metric} {result.value:.4g} "
                                 f"({result.epochs} epochs, {result.wall_time_s:.1f} s)")


def _say_ended(sweep: Sweep, study: optuna.Study, message: str) -> None:
    """A trial's last line, with how many trials of the study have ended and the time the rest should take."""
    sweep.pace.stop()
    finished = sum(1 for t in study.get_trials(deepcopy=False) if claims.is_done(t))
    pace = sweep.pace.describe(finished=finished, total=sweep.total, running=claims.running(study) + 1)
    sweep.say(f"{message} · {pace}")


def _void(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    trial.set_user_attr(VOID, reason)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)


def _pruner(spec: SweepSpec) -> optuna.pruners.BasePruner:
    max_epochs = spec.base.train.epochs
    return {"none": optuna.pruners.NopPruner(),
            "halving": optuna.pruners.SuccessiveHalvingPruner(min_resource=1),
            "hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs)}[spec.strategy.prune]


def _check_fingerprint(study: optuna.Study, mark: str, out: Path) -> None:
    stored = study.user_attrs.get(FINGERPRINT)
    if stored is None:
        study.set_user_attr(FINGERPRINT, mark)
    elif stored != mark:
        raise SweepChanged(f"The study {study.study_name!r} in this storage was started from a different sweep "
                           f"(space, strategy, metric or base config changed). Resuming would mix two sweeps: "
                           f"use another --out folder (or --name), or restore the sweep file used in {out}.")

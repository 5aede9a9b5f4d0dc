"""``toonlab sweep SWEEP.yaml``: run (or join, or resume) a sweep, then write its results.

The sweep folder::

    OUT/
      sweep.yaml           the sweep file as started
      study.db             the Optuna study (SQLite; absent with --storage)
      trials/p007/         one normal run folder per point (round-2/p007/ per round with rounds;
                           trials/t012/ per sampled trial): config, history, TensorBoard, checkpoints
      results.csv          one line per point, ranked
      best.yaml            the best config, for `toonlab train --config`
      plots/round-1.png    validation loss by epoch and by wall time, every trial of the round

Example:
    >>> report = run_sweep(load_sweep("configs/sweeps/comics_grid.yaml"), "sweeps/comics", data="comics")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import optuna

from toonlab.sweep.claims import worker_id
from toonlab.sweep.plots import plot_rounds
from toonlab.sweep.results import (
    RESULTS_FILE,
    Row,
    collect,
    export_best,
    round_rows,
    write_csv,
)
from toonlab.sweep.spec import SweepSpec, grid_points, round_plan
from toonlab.sweep.storage import SweepError, hide_password, open_storage, storage_url
from toonlab.sweep.trial import trial_config
from toonlab.sweep.worker import Sweep, work

log = logging.getLogger(__name__)
UNFINISHED = ("killed", "interrupted", "waiting", "running")


@dataclass
class SweepReport:
    """What a sweep left: ranked rows and the files written."""

    rows: list[Row]
    out: Path
    best: Path | None
    plots: list[Path]

    @property
    def unfinished(self) -> list[Row]:
        return [r for r in self.rows if r.state in UNFINISHED]


def run_sweep(spec: SweepSpec, out: str | Path, *, storage: str | None = None, workers: int = 1,
              data: str | None = None, name: str | None = None, heartbeat: int = 10, threads: int | None = None,
              train: bool = True, report: bool = True, say: Callable[[str], None] = print) -> SweepReport | None:
    """Train this machine's share of the sweep with ``workers`` processes, then report the whole study.

    Args:
        spec: the loaded sweep file.
        out: the sweep folder (created; a second call resumes the study stored there).
        storage: database URL shared by all workers (default: SQLite ``OUT/study.db``).
        workers: processes on this machine, each training one trial at a time.
        data: data folder (default: the base config's ``data.path``).
        name: study name (default: the sweep file's stem).
        heartbeat: seconds between a running trial's heartbeats; a trial silent for 6x as long is failed
            and its point re-queued.
        threads: torch threads per worker (default: CPU cores / workers).
        train: False only reports what is stored.
        report: False only trains (the worker processes of ``--workers N``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if workers < 1:
        raise SweepError(f"--workers must be at least 1. Received: {workers!r}")
    url = storage_url(out, storage)
    threads = threads or (max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None)
    sweep = Sweep(spec, out, open_storage(url, heartbeat=heartbeat), name or _name(spec), data, threads, heartbeat,
                  say=_tagged(say) if not report or workers > 1 else say)
    _check_data(sweep)
    if train:
        _record(spec, out)
        sweep.study(1 if spec.strategy.kind == "rounds" else None)  # create it (and check it) before workers join
        if workers == 1:
            work(sweep)
        else:
            _spawn(sweep, url, workers, say)
    return write_results(sweep) if report else None


def write_results(sweep: Sweep) -> SweepReport:
    """Rank every point, write results.csv, best.yaml and the plots of each round."""
    studies = _studies(sweep)
    rows = collect(sweep.spec, studies)
    write_csv(rows, sweep.spec, sweep.out / RESULTS_FILE)
    best = export_best(rows, sweep.spec, sweep.out)
    plots = plot_rounds({r: round_rows(sweep.spec, r, s) for r, s in studies}, sweep.out, sweep.spec.metric)
    return SweepReport(rows, sweep.out, best, plots)


def _studies(sweep: Sweep) -> list[tuple[int | None, optuna.Study]]:
    names = set(optuna.study.get_all_study_names(sweep.storage))
    if sweep.spec.strategy.kind != "rounds":
        return [(None, sweep.study())] if sweep.study_name() in names else []
    rounds = range(1, len(round_plan(sweep.spec, len(grid_points(sweep.spec)))) + 1)
    return [(r, sweep.study(r)) for r in rounds if sweep.study_name(r) in names]


def _spawn(sweep: Sweep, url: str, workers: int, say: Callable[[str], None]) -> None:
    """Start ``workers`` worker processes of this same sweep and wait for them all."""
    if sweep.spec.path is None:
        raise SweepError("--workers needs the sweep loaded from a file, which the worker processes read.")
    data = [str(sweep.data)] if sweep.data else []
    cmd = [sys.executable, "-m", "toonlab", "sweep", str(sweep.spec.path), *data, "--out", str(sweep.out),
           "--storage", url, "--name", sweep.name, "--heartbeat", str(int(sweep.heartbeat)),
           "--threads", str(sweep.threads), "--worker", "-q"]
    say(f"Starting {workers} workers ({sweep.threads} threads each) on {hide_password(url)}.")
    procs = [subprocess.Popen(cmd) for _ in range(workers)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            p.wait()
        raise
    failed = [c for c in codes if c != 0]
    if failed:
        say(f"{len(failed)} of {workers} workers exited with an error (codes {failed}); the report shows what "
            "finished. Run the same command again to resume.")


def _check_data(sweep: Sweep) -> None:
    cfg = trial_config(sweep.spec, {}, None, data=sweep.data)
    if not cfg.data.path:
        raise SweepError("No data folder: pass DATA (`toonlab sweep SWEEP.yaml DATA`) or set data.path in the "
                         "sweep's base config.")
    if not Path(cfg.data.path).is_dir():
        raise SweepError(f"The data folder {cfg.data.path!r} does not exist.")


def _record(spec: SweepSpec, out: Path) -> None:
    """Keep a copy of the sweep file as started."""
    copy = out / "sweep.yaml"
    if spec.path is not None and not copy.exists():
        shutil.copyfile(spec.path, copy)


def _name(spec: SweepSpec) -> str:
    return spec.path.stem if spec.path is not None else "sweep"


def _tagged(say: Callable[[str], None]) -> Callable[[str], None]:
    tag = f"[{worker_id()}]"
    return lambda message: say(f"{tag} {message}")

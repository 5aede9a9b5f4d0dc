"""The ``sweep`` verb: ``toonlab sweep SWEEP.yaml [DATA] [--out DIR] [--workers N] [--storage URL]``.

:mod:`toonlab.cli.app` lists it in its verb table and turns a ``ToonlabError`` into one paragraph and
exit code 2. Exit code 1 means the sweep stopped with points unfinished (run it again to resume).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path


def sweep_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep", help="Sweep file (YAML): base config, search space, metric and strategy "
                   "(see configs/sweeps/).")
    p.add_argument("data", nargs="?", help="Data folder (default: data.path of the sweep's base config).")
    p.add_argument("-o", "--out", help="Sweep folder (default sweeps/<sweep file name>); running the same command "
                   "again resumes the study stored there.")
    p.add_argument("--workers", type=int, default=1, help="Worker processes on this machine (default 1), each "
                   "training one trial at a time with CPU cores / N threads.")
    p.add_argument("--storage", help="Database URL shared by all workers, e.g. postgresql://user:pw@host/db; start the "
                   "same command on other machines to join (default: SQLite OUT/study.db).")
    p.add_argument("--name", help="Study name in the storage (default: the sweep file's name).")
    p.add_argument("--heartbeat", type=int, default=10, help="Seconds between a running trial's heartbeats; a trial "
                   "silent 6x as long (its worker died) is failed and its point re-queued (default 10).")
    p.add_argument("--threads", type=int, help="Torch threads per worker (default: CPU cores / workers).")
    p.add_argument("--report", action="store_true", help="Only print and write the results stored so far.")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a process started by --workers


def _say(args: argparse.Namespace):
    """Where each trial's start and end lines go: stdout, or nowhere with --quiet."""
    return (lambda message: None) if args.quiet else functools.partial(print, flush=True)


def sweep(args: argparse.Namespace) -> int:
    from toonlab.sweep import load_sweep  # lazy: `toonlab --help` stays fast
    from toonlab.sweep.results import format_results
    from toonlab.sweep.run import run_sweep

    spec = load_sweep(args.sweep)
    out = Path(args.out or Path("sweeps") / Path(args.sweep).stem)
    report = run_sweep(spec, out, storage=args.storage, workers=1 if args.worker else args.workers, data=args.data,
                       name=args.name, heartbeat=args.heartbeat, threads=args.threads, train=not args.report,
                       report=not args.worker, say=_say(args))
    if report is None:
        return 0
    if not report.rows:
        print(f"No trials stored yet for this sweep in {out}.")
        return 0
    print("\n" + format_results(report.rows, spec))
    print(f"\nResults: {out / 'results.csv'}" + (f" · best config: {report.best}" if report.best else "")
          + (f" · plots: {out / 'plots'}/" if report.plots else "") + f" · curves: tensorboard --logdir {out}")
    if report.unfinished:
        print(f"{len(report.unfinished)} point(s) unfinished; run the same command again to resume.")
        return 1
    return 0

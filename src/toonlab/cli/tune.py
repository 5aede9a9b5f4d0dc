"""The ``tune`` verb: ``toonlab tune DATA --budget 30m [--out DIR] [label options] [--config FILE]
[--section.key=value ...] [--storage URL] [--trials N] [--recipe FILE]``.

:mod:`toonlab.cli.app` lists it in its verb table and turns a ``ToonlabError`` into one paragraph and
exit code 2.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from toonlab.cli import options
from toonlab.runs import default_tune_dir


def tune_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("--budget", required=True, help="Wall-clock budget for the search and the final training together, "
                   "e.g. 30m, 1h30m or seconds. Running the command again with a larger budget searches on.")
    p.add_argument("-o", "--out", help="Tune folder (default runs/tune-<data folder name>); running the same command "
                   "again resumes it.")
    p.add_argument("--config", metavar="FILE", help="YAML config under the search (sections data/model/train/augment/"
                   "eval); keys it sets are not searched (default: none, the built-in defaults).")
    p.add_argument("--recipe", help="Tune recipe YAML: search space, budget share, trial size (default: the shipped "
                   "toonlab/recipes/tune.yaml).")
    p.add_argument("--storage", help="Database URL of the study, e.g. postgresql://user:pw@host/db (default: SQLite "
                   "OUT/study.db).")
    p.add_argument("--trials", type=int, help="At most N trials (default: until the search's share of the budget "
                   "is spent).")
    options.source_args(p)
    p.set_defaults(takes_overrides=True)


def tune(args: argparse.Namespace) -> int:
    from toonlab.evaluate.table import format_metrics  # lazy: `toonlab --help` stays fast
    from toonlab.sweep.results import format_results
    from toonlab.sweep.tune import tune as run_tune

    out = Path(args.out) if args.out else default_tune_dir(args.data)
    say = (lambda message: None) if args.quiet else functools.partial(print, flush=True)
    say(f"Tune folder: {out}")
    result = run_tune(args.data, out, budget=args.budget, config=args.config, overrides=args.overrides,
                      options=options.source_options(args), recipe=args.recipe, storage=args.storage, trials=args.trials,
                      progress=options.show_progress(args), say=say)
    print(f"\nTrials ({result.spec.metric} on the trials' images; test numbers only for the best):")
    print(format_results(result.rows, result.spec, limit=15))
    finalists = ", ".join(f"{f.run.name} {f.value:.4g}" for f in result.finalists)
    print(f"\nFinal run {result.run.name}, the finalist with the best {result.spec.metric} ({finalists}): "
          f"{_short(result.point)}, trained on all images:")
    print(format_metrics(result.metrics))
    report = result.run / "report.html"
    print(f"\nRun: {result.run}" + (f" · report: {report}" if report.exists() else "") + f" · best config: "
          f"{result.best} · trials: {result.out / 'results.csv'} · {_spent(result)}")
    return 0



def _short(point: dict) -> str:
    from toonlab.sweep.params import short  # lazy: `toonlab --help` stays fast

    return short(point) or "base config"


def _spent(result) -> str:
    from toonlab.budget import format_duration  # lazy: `toonlab --help` stays fast

    return f"{format_duration(result.spent_s)} of the {format_duration(result.budget_s)} budget spent"

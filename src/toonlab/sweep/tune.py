"""``toonlab tune DATA --budget 30m``: an automatic search for one data set, then a full training of the best setting.

A sweep built in code (:mod:`toonlab.sweep.tune_search`): TPE over the recipe's small space
(``toonlab/recipes/tune.yaml``), successive halving on each epoch's validation metric, trials on a
seeded subset for a few epochs. The search gets ``search.share`` of the budget (its clock lives in
the study, so a rerun counts what was spent); then the best trial's setting trains on all images
with ``train.budget`` = the time left. The folder::

    OUT/
      study.db  trials/t000/ ...  results.csv  plots/    the search, as `toonlab sweep` leaves it
      best.yaml                                         the best setting for all images (no budget)
      final-t007/                                       the final run: config.yaml, metrics.json, report.html

Running the same command again resumes: finished trials are kept, the search goes on while its
share of the budget lasts (a larger --budget buys more), and a finished final run is only read back.

Example:
    >>> result = tune("faces/", "runs/tune-faces", budget="30m")  # doctest: +SKIP
    >>> result.metrics["mean_accuracy"], result.run  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toonlab.budget import format_duration, parse_duration
from toonlab.config import ExperimentConfig, save_config
from toonlab.report import refresh_report
from toonlab.runs import CONFIG_FILE, METRICS_FILE
from toonlab.sweep.clock import SPENT, SearchClock
from toonlab.sweep.params import encode_point, short
from toonlab.sweep.results import BEST_FILE, Row
from toonlab.sweep.run import write_results
from toonlab.sweep.spec import SweepSpec, apply_point
from toonlab.sweep.storage import open_storage, storage_url
from toonlab.sweep.tune_recipe import TuneRecipe, load_recipe
from toonlab.sweep.tune_search import TuneError, base_config, label_tasks, search_spec, start_point
from toonlab.sweep.worker import Sweep, SweepChanged, work
from toonlab.workflows.train import train

log = logging.getLogger(__name__)
STUDY = "tune"
FINAL_SPENT = "final_spent_s"


@dataclass
class TuneResult:
    """What a tune left: the final run, its test metrics, the ranked trials and the time spent."""

    out: Path
    run: Path
    best: Path
    metrics: dict[str, Any]
    rows: list[Row]
    point: dict[str, Any]
    spec: SweepSpec
    spent_s: float
    budget_s: float
    reused: bool


def tune(data: str | Path | None, out: str | Path, *, budget: str | float, config: str | Path | None = None,
         overrides: Sequence[str] = (), options: dict[str, Any] | None = None, recipe: str | Path | None = None,
         storage: str | None = None, trials: int | None = None, progress: bool = False,
         say: Callable[[str], None] = log.info) -> TuneResult:
    """Search this data set's settings within ``budget``, then train the best one on all images.

    Args:
        data: the data folder (or ``data.path`` of ``config``).
        out: the tune folder (created; a second call resumes it).
        budget: wall-clock budget, e.g. ``"30m"`` or seconds; search and final run together.
        config: a YAML config; ``overrides``: ``section.key=value`` texts; ``options``: typed
            ``{section.key: value}`` (label options). Keys set in any of them are not searched.
        recipe: a tune recipe YAML (default: the shipped ``tune.yaml``).
        storage: database URL of the study (default: SQLite ``OUT/study.db``).
        trials: at most this many trials (default: the recipe's ``search.trials``).
        progress: progress bar during the final training.
        say: where the per-trial lines go (the CLI prints them).

    Raises:
        TuneError: the budget is not a duration or too small for one trial, or ``out`` holds another search.
    """
    rec = load_recipe(recipe)
    budget_s = check_budget(budget, rec)
    if trials is not None and (not isinstance(trials, int) or trials < 1):
        raise TuneError(f"--trials expects a number of trials >= 1. Received: {trials!r}")
    base, fixed = base_config(data, rec, config=config, overrides=overrides, options=options)
    tasks = label_tasks(base)
    spec = search_spec(rec, base, fixed=fixed, tasks=tasks)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clock = SearchClock(rec.share * budget_s)
    sweep = Sweep(spec, out, open_storage(storage_url(out, storage)), STUDY, clock=clock, trials=trials)
    study = _open_study(sweep, out)
    final_before = float(study.user_attrs.get(FINAL_SPENT, 0.0))
    sweep.say = _time_left(say, clock, budget_s, final_before)
    _announce(say, spec, rec, budget_s, study, tasks, out)
    rows = _search(sweep, study, start_point(rec, spec))
    row = _best(rows, out)
    cfg = final_config(spec, base, row.point, progress=progress)
    best = write_best(cfg, out, row, spec)
    left = max(budget_s - clock.spent() - final_before, rec.min_trial_s)
    run, metrics, reused = _train_final(cfg, out / f"final-{Path(row.folder).name}", left, study, say)
    return TuneResult(out, run, best, metrics, rows, row.point, spec,
                      clock.spent() + float(study.user_attrs.get(FINAL_SPENT, 0.0)), budget_s, reused)


def _search(sweep: Sweep, study, start: dict[str, Any]) -> list[Row]:
    """Train trials (the first at ``start``) until the clock or the trial cap stops them; rank them all."""
    if not study.trials:
        study.enqueue_trial(encode_point(start))
    with _quiet("toonlab.train", "toonlab.workflows", "toonlab.data"):
        work(sweep)
    sweep.clock.stop()
    return write_results(sweep).rows


def check_budget(budget: str | float, recipe: TuneRecipe) -> float:
    """The budget in seconds; a clear error when it is not a duration or cannot hold one trial."""
    seconds = parse_duration(budget, name="--budget")
    if seconds < recipe.min_budget_s:
        raise TuneError(f"--budget {format_duration(seconds)} is too small: the search gets {recipe.share:.0%} of it, "
                        f"and one trial needs at least {format_duration(recipe.min_trial_s)} (search.min_trial of "
                        f"{recipe.where}), so the smallest budget is {format_duration(recipe.min_budget_s)}. "
                        f"Received: {budget!r}")
    return seconds


def final_config(spec: SweepSpec, base: ExperimentConfig, point: dict[str, Any], *,
                 progress: bool = False) -> ExperimentConfig:
    """The best point on the full base config: all images (``data.subset`` as the user set it), the
    user's epochs, the search metric as ``train.monitor``; no budget yet."""
    cfg = apply_point(replace(spec, base=base), point)
    cfg.train.monitor, cfg.train.progress, cfg.train.budget = spec.metric, progress, ""
    return cfg


def write_best(cfg: ExperimentConfig, out: Path, row: Row, spec: SweepSpec) -> Path:
    """``OUT/best.yaml``: the final run's config without its budget, for ``toonlab train --config``."""
    path = out / BEST_FILE
    save_config(replace(cfg, train=replace(cfg.train, progress=True)), path)
    header = (f"# toonlab tune: the best trial {row.folder} ({short(row.point)}), {spec.metric} {row.value:.4g} "
              f"on {_images(spec.base.data.subset)} x {spec.base.train.epochs} epochs.\n"
              f"# The final run trained this on all images. Train it again with:\n"
              f"#   toonlab train DATA --out RUN --config {path}\n")
    path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _open_study(sweep: Sweep, out: Path):
    try:
        return sweep.study()
    except SweepChanged:
        raise TuneError(f"{out} holds a tune search started with other settings (data, label options, config "
                        "or recipe). Resuming would mix two searches: pass another --out, or the same "
                        "options as before.") from None


def _best(rows: list[Row], out: Path) -> Row:
    """The best trial that trained to the end, else the best one stopped early; an error if none did."""
    for state in ("complete", "pruned"):
        ranked = [r for r in rows if r.state == state and r.value is not None and (out / r.folder).is_dir()]
        if ranked:
            return ranked[0]
    raise TuneError(f"No trial of the search finished, so there is no best setting to train; "
                    f"{out / 'results.csv'} says how each ended. Received: {len(rows)} trial(s).")


def _train_final(cfg: ExperimentConfig, run: Path, left_s: float, study, say) -> tuple[Path, dict, bool]:
    """Train the final run with ``train.budget`` = the time left, or read it back when it finished before."""
    if (run / METRICS_FILE).exists():
        say(f"The final run {run} finished earlier; not trained again.")
        return run, json.loads((run / METRICS_FILE).read_text(encoding="utf-8")), True
    cfg.train.budget = f"{round(left_s)}s"
    resume = (run / CONFIG_FILE).exists()
    say(f"{'Resuming' if resume else 'Training'} the best setting on all images in {run} "
        f"(train.budget {format_duration(left_s)}).")
    start = time.monotonic()
    try:
        metrics = train(cfg, run, resume=resume, command=f"toonlab tune (final run of {run.parent})")
    finally:
        spent = float(study.user_attrs.get(FINAL_SPENT, 0.0)) + time.monotonic() - start
        study.set_user_attr(FINAL_SPENT, round(spent, 3))
    refresh_report(run)
    return run, metrics, False


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Only errors from these loggers inside the block: each trial says one line as it starts and one as it
    ends, which its per-epoch lines and repeated data warnings would drown (the final run logs them all)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _time_left(say: Callable[[str], None], clock: SearchClock, budget_s: float,
               final_before: float) -> Callable[[str], None]:
    """``say`` with the time left of the whole budget appended to every line."""
    def tell(message: str) -> None:
        left = max(0.0, budget_s - clock.spent() - final_before)
        say(f"{message} · {format_duration(left)} of {format_duration(budget_s)} left")
    return tell


def _announce(say, spec: SweepSpec, rec: TuneRecipe, budget_s: float, study, tasks: dict, out: Path) -> None:
    searched = ", ".join(p.key.rpartition(".")[2] for p in spec.space)
    say(f"Tuning {spec.base.data.path} ({len(tasks)} task(s)) into {out}: {format_duration(rec.share * budget_s)} "
        f"of search ({searched}; trials on {_images(spec.base.data.subset)} x {spec.base.train.epochs} epochs, "
        f"{spec.metric}), then the best setting on all images.")
    if study.trials:
        spent = float(study.user_attrs.get(SPENT, 0.0))
        say(f"Resuming: {len(study.trials)} trial(s) stored, {format_duration(spent)} of search spent.")


def _images(subset: int | float) -> str:
    return f"{subset:.0%} of the images" if isinstance(subset, float) else f"up to {subset} images"

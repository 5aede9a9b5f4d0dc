"""``toonlab tune DATA --budget 30m``: an automatic search for one data set, then a full training of the best setting.

A sweep built in code (:mod:`toonlab.sweep.tune_search`): TPE over the recipe's small space
(``toonlab/recipes/tune.yaml``), successive halving on each epoch's validation metric, trials on a
seeded subset for a few epochs. The search gets ``search.share`` of the budget (its clock lives in
the study, so a rerun counts what was spent). Then the *finalists* train on all images: the best
trial's setting, the start point (the defaults) and, with ``search.finalists`` above 2, the next best
trials. Each trains the epochs ``toonlab train`` would, cut only if its share of the time left
(``train.budget`` with ``train.budget_fill`` false) is too short, so the start's finalist is the
defaults' own run. A short trial favours networks that learn fast over networks that end best, so
the search's pick has to beat the defaults at full length: the finalist with the best validation
metric is the final run. The folder::

    OUT/
      study.db  trials/t000/ ...  results.csv  plots/    the search, as `toonlab sweep` leaves it
      final-t007/  final-t000/                          the finalists: config.yaml, metrics.json, report.html
      finalists.csv                                     each finalist's validation value and test accuracy
      best.yaml                                         the winner's setting for all images (no budget)

Running the same command again resumes: finished trials are kept, the search goes on while its
share of the budget lasts (a larger --budget buys more), and finished finalists are only read back.

Example:
    >>> result = tune("faces/", "runs/tune-faces", budget="30m")  # doctest: +SKIP
    >>> result.metrics["mean_accuracy"], result.run  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toonlab.atomic import replacing
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
from toonlab.sweep.trial import read_result, test_numbers
from toonlab.sweep.tune_recipe import TuneRecipe, load_recipe
from toonlab.sweep.tune_search import TuneError, base_config, label_tasks, search_spec, start_point
from toonlab.sweep.worker import Sweep, SweepChanged, work
from toonlab.workflows.train import train

log = logging.getLogger(__name__)
STUDY = "tune"
FINAL_SPENT = "final_spent_s"
_BASE = "base config"
FINALISTS_FILE = "finalists.csv"


@dataclass
class Finalist:
    """A setting trained on all images after the search: its trial's name, point, run and validation value."""

    name: str
    point: dict[str, Any]
    run: Path
    metrics: dict[str, Any]
    value: float
    reused: bool


@dataclass
class TuneResult:
    """What a tune left: the final run (the best finalist), its test metrics, the ranked trials, every
    finalist and the time spent."""

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
    finalists: list[Finalist]


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
    sweep.say = _time_left(say, clock, budget_s, _final_spent(study))
    _announce(say, spec, rec, budget_s, study, tasks, out)
    start = start_point(rec, spec)
    rows = _search(sweep, study, start)
    picks = pick_finalists(rows, start, rec.finalists, out)
    say(f"Finalists on all images: {', '.join(f'{name} ({short(point) or _BASE})' for name, point in picks)}; "
        f"the one best on {spec.metric} is the final run.")
    finals = []
    for i, (name, point) in enumerate(picks):
        seconds = max((budget_s - clock.spent() - _final_spent(study)) / (len(picks) - i), rec.min_trial_s)
        cfg = final_config(spec, base, point, progress=progress)
        finals.append(_train_final(cfg, out / f"final-{name}", name, point, seconds, study, spec, say))
    win = winner(finals, spec.direction)
    if len(finals) > 1:
        say(f"Final run: {win.run.name} ({', '.join(f'{f.name} {spec.metric} {f.value:.4g}' for f in finals)}).")
    best = write_best(final_config(spec, base, win.point), out, win, finals, spec)
    write_finalists(out, finals, win, spec.metric)
    return TuneResult(out, win.run, best, win.metrics, rows, win.point, spec, clock.spent() + _final_spent(study),
                      budget_s, all(f.reused for f in finals), finals)


def pick_finalists(rows: list[Row], start: dict[str, Any], count: int, out: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(name, point)`` of the settings to train on all images: the search's best, the start point, then the
    next best finished trials; distinct points, at most ``count``."""
    best = _best(rows, out)
    started = next((r.folder for r in rows if r.point == start), "start")
    candidates = [(best.folder, best.point), (started, start)]
    candidates += [(r.folder, r.point) for r in rows if r.state == "complete" and r.value is not None]
    picks: list[tuple[str, dict[str, Any]]] = []
    for folder, point in candidates:
        if len(picks) < count and all(point != p for _, p in picks):
            picks.append((Path(folder).name, point))
    return picks


def winner(finals: list[Finalist], direction: str) -> Finalist:
    """The finalist with the best validation value (the first of equals); one without a finite value never wins."""
    sign = -1.0 if direction == "min" else 1.0
    return max(finals, key=lambda f: sign * f.value if math.isfinite(f.value) else -math.inf)


def write_finalists(out: Path, finals: list[Finalist], win: Finalist, metric: str) -> Path:
    """``OUT/finalists.csv``: each finalist's run, setting, validation value and test accuracy; ``final`` marks the winner."""
    with replacing(out / FINALISTS_FILE, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "setting", metric, "test_acc", "final"])
        for fin in finals:
            acc = test_numbers(fin.metrics).get("test_acc")
            writer.writerow([fin.run.name, short(fin.point) or _BASE, f"{fin.value:.6g}",
                             "" if acc is None else f"{acc:.6g}", int(fin is win)])
    return out / FINALISTS_FILE


def _final_spent(study) -> float:
    return float(study.user_attrs.get(FINAL_SPENT, 0.0))


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


def write_best(cfg: ExperimentConfig, out: Path, win: Finalist, finals: list[Finalist], spec: SweepSpec) -> Path:
    """``OUT/best.yaml``: the final run's config without its budget, for ``toonlab train --config``."""
    path = out / BEST_FILE
    save_config(replace(cfg, train=replace(cfg.train, progress=True)), path)
    compared = ", ".join(f"{f.run.name} {f.value:.4g}" for f in finals)
    header = (f"# toonlab tune: the setting of trial {win.name} ({short(win.point) or _BASE}), the best {spec.metric} "
              f"of the finalists trained on all images ({compared}).\n"
              f"# The final run {win.run.name} trained it within the tune's budget. Train it again with:\n"
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


def _train_final(cfg: ExperimentConfig, run: Path, name: str, point: dict[str, Any], seconds: float, study,
                 spec: SweepSpec, say) -> Finalist:
    """Train one finalist with ``train.budget`` = ``seconds``, or read it back when it finished before."""
    if (run / METRICS_FILE).exists():
        say(f"The finalist {run} finished earlier; not trained again.")
        metrics, reused = json.loads((run / METRICS_FILE).read_text(encoding="utf-8")), True
    else:
        cfg.train.budget, cfg.train.budget_fill = f"{round(seconds)}s", False  # the budget may cut epochs, not add
        resume = (run / CONFIG_FILE).exists()
        say(f"{'Resuming' if resume else 'Training'} the setting of {name} on all images in {run} "
            f"(train.budget {format_duration(seconds)}).")
        start = time.monotonic()
        try:
            metrics = train(cfg, run, resume=resume, command=f"toonlab tune (finalist {name} of {run.parent})")
        finally:
            study.set_user_attr(FINAL_SPENT, round(_final_spent(study) + time.monotonic() - start, 3))
        refresh_report(run)
        reused = False
    return Finalist(name, point, run, metrics, read_result(run, spec.metric, spec.direction).value, reused)


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

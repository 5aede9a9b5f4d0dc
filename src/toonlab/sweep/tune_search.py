"""The search ``toonlab tune`` runs, built in code: a sweep spec from the tune recipe, the user's options and the data.

The experiment config is built as everywhere else, with the recipe's ``config`` as the lowest
layer: defaults < recipe < ``--config`` YAML < ``--section.key=value`` < label options. Every key
the user set there is *fixed*: a space param that would set it is left out of the search. Trials
train the recipe's seeded ``subset`` of the images for its ``epochs`` (fewer when ``train.epochs``
is lower), with TPE sampling and epoch pruning; the final run keeps the user's data and epochs.

Example:
    >>> base, fixed = base_config("faces/", load_recipe(), overrides=["model.widths=[8, 16]"])  # doctest: +SKIP
    >>> spec = search_spec(load_recipe(), base, fixed=fixed, tasks=label_tasks(base))  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toonlab.config import ExperimentConfig, load_yaml, resolve_config, set_option
from toonlab.data.sources import SourceOptions, load_labels
from toonlab.errors import ToonlabError
from toonlab.sweep.space import Param, set_key
from toonlab.sweep.spec import SweepSpec, parse_sweep
from toonlab.sweep.tune_recipe import TuneRecipe


class TuneError(ToonlabError):
    """``toonlab tune`` cannot run as asked (budget too small, nothing left to search, ...)."""


def base_config(data: str | Path | None, recipe: TuneRecipe, *, config: str | Path | None = None,
                overrides: Sequence[str] = (), options: dict[str, Any] | None = None,
                ) -> tuple[ExperimentConfig, set[str]]:
    """The config every trial and the final run start from, and the ``section.key`` names the user fixed.

    Args:
        data: the data folder (default: ``data.path`` of ``config``), stored as an absolute path.
        recipe: the tune recipe, whose ``config`` is the lowest layer above the defaults.
        config: a YAML config file.
        overrides: ``section.key=value`` texts.
        options: already typed ``{section.key: value}`` (the label options); None values are skipped.
    """
    cfg = ExperimentConfig()
    for section, values in recipe.config.items():
        for key, value in values.items():
            set_key(cfg, f"{section}.{key}", value, recipe.where, "config")
    cfg = resolve_config(base=cfg, yaml_path=config, overrides=list(overrides))
    given = {k: v for k, v in (options or {}).items() if v is not None}
    for key, value in given.items():
        set_option(cfg, key, value)
    if data:
        cfg.data.path = str(data)
    if not cfg.data.path:
        raise TuneError("No data folder: pass DATA (`toonlab tune DATA --budget 30m`) or set data.path in --config.")
    cfg.data.path = str(Path(cfg.data.path).expanduser().resolve())
    return cfg, _yaml_keys(config) | {o.split("=", 1)[0].lstrip("-") for o in overrides} | set(given)


def label_tasks(cfg: ExperimentConfig) -> dict[str, Any]:
    """The tasks the data's labels give (``{name: TaskSpec}``), read without decoding any image."""
    d = cfg.data
    return load_labels(d.path, source=d.source, tasks=d.tasks, limit=d.limit,
                       options=SourceOptions.from_config(d)).tasks


def search_spec(recipe: TuneRecipe, base: ExperimentConfig, *, fixed: Iterable[str] = (),
                tasks: dict[str, Any] | None = None) -> SweepSpec:
    """The sampled sweep the search runs: the recipe's space less the fixed keys (and the multi-task
    keys with one task), over ``base`` cut down to the recipe's trial size."""
    trial_base = copy.deepcopy(base)
    trial_base.data.subset = recipe.subset
    if base.train.epochs > 0:
        trial_base.train.epochs = min(recipe.epochs, base.train.epochs)
    else:
        trial_base.train.epochs = recipe.epochs
    trial_base.train.budget, trial_base.train.progress = "", False
    strategy = {"kind": "tpe", "trials": recipe.trials, "prune": recipe.prune}
    raw = {"metric": choose_metric(recipe.metric, tasks), "seed": base.train.seed, "space": recipe.space,
           "strategy": strategy}
    spec = parse_sweep(raw, where=recipe.where, base=trial_base)
    single = tasks is not None and len(tasks) < 2
    drop = set(fixed)
    space = tuple(p for p in spec.space if not drop.intersection(p.keys)
                  and not (single and p.key in recipe.multi_task_only))
    if not space:
        raise TuneError(f"Every key the search space of {recipe.where} would tune is set by your options "
                        f"({', '.join(sorted(drop)) or 'none'}), so there is nothing left to search. Drop some of "
                        f"them, or pass --recipe with a space of other keys.")
    return dataclasses.replace(spec, space=space)


def choose_metric(metric: str, tasks: dict[str, Any] | None) -> str:
    """``auto``: val_acc when every task is a classification, else val_loss; any other metric as it is."""
    if metric != "auto":
        return metric
    classes = tasks is not None and tasks and not any(t.is_regression for t in tasks.values())
    return "val_acc" if classes else "val_loss"


def start_point(recipe: TuneRecipe, spec: SweepSpec) -> dict[str, Any]:
    """The recipe's first point, limited to the searched params and typed like them."""
    params = {p.key: p for p in spec.space}
    return {key: _typed(params[key], value, recipe.where) for key, value in recipe.start.items() if key in params}


def _typed(p: Param, value: Any, where: str) -> Any:
    if p.is_range:
        number = int if p.int else float
        if isinstance(value, (int, float)) and not isinstance(value, bool) and p.low <= value <= p.high:
            return number(value)
    else:
        probe = set_key(ExperimentConfig(), p.key, value, where, "search.start") if p.kind != "preset" else value
        if probe in p.values:
            return probe
    what = f"[{p.low}, {p.high}]" if p.is_range else ", ".join(map(str, p.values))
    raise TuneError(f"{where}: search.start {p.key!r} must be one of the space's values ({what}). Received: {value!r}")


def _yaml_keys(path: str | Path | None) -> set[str]:
    if not path:
        return set()
    raw = load_yaml(path)
    return {f"{section}.{key}" for section, values in raw.items() if isinstance(values, dict) for key in values}

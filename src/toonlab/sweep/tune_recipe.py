"""The tune recipe: what ``toonlab tune`` searches, on what share of the budget, and how trials are cut down.

The shipped recipe is ``toonlab/recipes/tune.yaml``; ``--recipe FILE`` takes another with the same keys::

    metric: auto            # auto (val_acc when every task is a class, else val_loss) or a sweep metric
    config: {train: {optimizer: adamw}}   # on top of the defaults, below --config and --section.key=value
    search:
      share: 0.5            # of the budget; the rest trains the finalists on all images
      finalists: 3          # settings trained on all images: the best trial, the start, then the next best
      subset: 2000          # images each trial trains on (a count or a fraction; seeded, stratified)
      epochs: 6             # epochs of each trial
      min_trial: 1m         # the least one trial takes; a budget whose search share is shorter is refused
      trials: 200           # at most (the time budget usually ends the search first)
      prune: halving        # halving | hyperband | none, on each epoch's validation metric
      multi_task_only: [model.branch_stages]   # space keys searched only with two or more tasks
      start: {train.lr: 0.002}                 # the first trial's point (keys of the space)
    space: {...}            # the sweep-file space syntax, presets included
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from toonlab.budget import parse_duration
from toonlab.config import ConfigError, load_yaml, valid_hint
from toonlab.sweep.space import is_count
from toonlab.sweep.spec import METRICS, PRUNERS, require_known, require_mapping

RECIPE = "tune.yaml"
TOP_KEYS = ("metric", "config", "search", "space")
SEARCH_KEYS = ("share", "finalists", "subset", "epochs", "min_trial", "trials", "prune", "multi_task_only", "start")


@dataclass(frozen=True)
class TuneRecipe:
    """A loaded tune recipe (see the module docstring for each key)."""

    space: dict[str, Any]
    metric: str = "auto"
    config: dict[str, Any] = field(default_factory=dict)
    share: float = 0.5
    finalists: int = 3
    subset: int | float = 2000
    epochs: int = 6
    min_trial_s: float = 60.0
    trials: int = 200
    prune: str = "halving"
    multi_task_only: tuple[str, ...] = ()
    start: dict[str, Any] = field(default_factory=dict)
    where: str = RECIPE

    @property
    def min_budget_s(self) -> float:
        """The smallest budget whose search share holds one trial."""
        return self.min_trial_s / self.share


def load_recipe(path: str | Path | None = None) -> TuneRecipe:
    """Read a tune recipe (default: the shipped ``tune.yaml``); a mistake is a :class:`ConfigError`
    naming the file and key. The space itself is checked against the config when the search is built."""
    if path is None:
        with resources.as_file(resources.files("toonlab.recipes").joinpath(RECIPE)) as p:
            return parse_recipe(load_yaml(p), where=f"recipe {RECIPE}")
    return parse_recipe(load_yaml(path), where=str(path))


def parse_recipe(raw: Any, *, where: str = "tune recipe") -> TuneRecipe:
    """Validate a recipe given as a mapping."""
    require_mapping(raw, where, "the tune recipe")
    require_known(raw, TOP_KEYS, where, "top-level key")
    search = raw.get("search") or {}
    require_mapping(search, where, "search")
    require_known(search, SEARCH_KEYS, where, "search key")
    space, config = raw.get("space"), raw.get("config") or {}
    require_mapping(space, where, "space (config keys to search, in the sweep-file syntax)")
    require_mapping(config, where, "config (sections of overrides, e.g. {train: {optimizer: adamw}})")
    for section, values in config.items():
        require_mapping(values, where, f"config section {section!r}")
    recipe = TuneRecipe(space, _metric(raw.get("metric", "auto"), where), config, where=where,
                        **_search(search, where))
    _check_keys(recipe, where)
    return recipe


def _search(raw: dict, where: str) -> dict[str, Any]:
    defaults = TuneRecipe({})
    share, subset = raw.get("share", defaults.share), raw.get("subset", defaults.subset)
    epochs, trials = raw.get("epochs", defaults.epochs), raw.get("trials", defaults.trials)
    finalists = raw.get("finalists", defaults.finalists)
    prune = raw.get("prune", defaults.prune)
    if not (isinstance(share, float) and 0 < share < 1):
        raise ConfigError(f"{where}: search.share expects the budget's fraction for the search, in (0, 1), e.g. "
                          f"0.6. Received: {share!r}")
    if not (is_count(subset) or (isinstance(subset, float) and 0 < subset <= 1)):
        raise ConfigError(f"{where}: search.subset expects an image count > 0 or a fraction in (0, 1]. "
                          f"Received: {subset!r}")
    for key, value in (("epochs", epochs), ("trials", trials), ("finalists", finalists)):
        if not is_count(value):
            raise ConfigError(f"{where}: search.{key} expects a positive int. Received: {value!r}")
    if prune not in PRUNERS:
        raise ConfigError(f"{where}: unknown search.prune {prune!r}. {valid_hint(str(prune), PRUNERS)}")
    min_trial = parse_duration(raw.get("min_trial", defaults.min_trial_s), name=f"{where}: search.min_trial")
    if min_trial <= 0:
        raise ConfigError(f"{where}: search.min_trial expects a duration > 0, e.g. 30s. Received: {min_trial!r}")
    only, start = raw.get("multi_task_only") or [], raw.get("start") or {}
    if not isinstance(only, list) or not all(isinstance(k, str) for k in only):
        raise ConfigError(f"{where}: search.multi_task_only expects a list of space keys. Received: {only!r}")
    require_mapping(start, where, "search.start (a point: space key -> value)")
    return dict(share=share, finalists=finalists, subset=subset, epochs=epochs, min_trial_s=min_trial, trials=trials, prune=prune,
                multi_task_only=tuple(only), start=dict(start))


def _metric(metric: Any, where: str) -> str:
    base = str(metric).partition("/")[0]
    if not isinstance(metric, str) or (metric != "auto" and base not in METRICS):
        raise ConfigError(f"{where}: metric expects auto or one of {', '.join(METRICS)} (optionally /task). "
                          f"Received: {metric!r}")
    return metric


def _check_keys(recipe: TuneRecipe, where: str) -> None:
    for what, keys in (("search.multi_task_only", recipe.multi_task_only), ("search.start", recipe.start)):
        for key in keys:
            if key not in recipe.space:
                raise ConfigError(f"{where}: {what} names {key!r}, which is not a key of the space. "
                                  f"{valid_hint(str(key), recipe.space)}")

"""Sweep files: a typed, validated description of a hyper-parameter search over one experiment config.

A sweep file is YAML with these top-level keys (only ``space`` is required)::

    base: ../comics_vs_real.yaml      # a config YAML, relative to the sweep file (default: built-in defaults)
    config: {train: {epochs: 10}}     # inline overrides on top of base, by section
    metric: val_loss                  # val_loss, val_acc or val_mae, optionally /task (e.g. val_acc/hair)
    direction: min                    # optional: min or max; derived from metric (acc: max, loss/mae: min)
    seed: 0
    space:                            # section.key: one of
      model.head_depth: {grid: [0, 1, 2]}            # listed values, enumerated by grid-like strategies
      train.optimizer: {choice: [adam, sgd]}         # listed values (a categorical; same as grid in a grid)
      model.widths: {stack: {depth: [1, 2, 3], width: [32, 64]}}  # grid of [w]*d lists: [32], [32, 32], ...
      model.dropout: {range: [0.0, 0.5]}             # float range; add `int: true` for an int range
      train.lr: {log_range: [1.0e-4, 1.0e-2]}        # log-uniform range (random/tpe only)
      augment: {preset: {none: {}, light: {augment.hflip: 0.5, augment.rotate: 5}}}
                                                     # named bundles of keys: one knob that sets several
                                                     # (its name is yours, not a config key)
    strategy:
      kind: grid                      # grid | oneway | rounds | random | tpe
      trials: 20                      # random/tpe only: trial budget (default 20)
      prune: none                     # random/tpe only: none | halving | hyperband (epoch pruning)
      rounds:                         # kind rounds only: each round keeps the best of the previous one
        - {subset: 4800, epochs: 10, val_fraction: 0.3}   # subset: image count or fraction in (0, 1]
        - {subset: 10800, epochs: 8, val_fraction: 0.2, keep: 6}  # keep: trial count or fraction
        - {subset: 1.0, epochs: 10, keep: 4}

Strategies: ``grid`` trains the Cartesian product of the grid/choice params; ``oneway`` varies one
param at a time from the base config (seed 002's studies: one point per listed value of each param);
``rounds`` trains the product on round 1, then only the best ``keep`` of each round on the next
(seed 003); ``random`` and ``tpe`` sample ``trials`` points and also accept ranges. Every value is
checked against the config (key exists, type fits) when the file is loaded; point values are stored
already typed. In ``rounds`` the rounds own ``train.epochs`` and ``data.val_fraction``.

Example:
    >>> spec = load_sweep("configs/sweeps/comics_grid.yaml")  # doctest: +SKIP
    >>> len(grid_points(spec)), [n for _, n in round_plan(spec, 27)]  # doctest: +SKIP
    (27, [27, 6, 4])
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toonlab.config import (
    ConfigError,
    ExperimentConfig,
    load_yaml,
    resolve_config,
    set_option,
    valid_hint,
)
from toonlab.sweep.space import Param, is_count, parse_space, set_key

TOP_KEYS = ("base", "config", "metric", "direction", "seed", "space", "strategy")
KINDS = ("grid", "oneway", "rounds", "random", "tpe")
PRUNERS = ("none", "halving", "hyperband")
METRICS = ("val_loss", "val_acc", "val_mae")
ROUND_OWNED = ("train.epochs", "data.val_fraction")


@dataclass(frozen=True)
class Round:
    """One round of a ``rounds`` sweep: its data ``subset`` (count or fraction), epochs and survivors kept."""

    subset: int | float
    epochs: int
    keep: int | float | None = None
    val_fraction: float | None = None


@dataclass(frozen=True)
class Strategy:
    """How points of the space are chosen: ``kind`` and its budget, pruner or rounds."""

    kind: str = "grid"
    trials: int | None = None
    prune: str = "none"
    rounds: tuple[Round, ...] = ()


@dataclass
class SweepSpec:
    """A loaded sweep file: the base config, the searched params and how trials are chosen and ranked."""

    base: ExperimentConfig
    space: tuple[Param, ...]
    metric: str = "val_loss"
    direction: str = "min"
    strategy: Strategy = field(default_factory=Strategy)
    seed: int = 0
    path: Path | None = None


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every mistake is a :class:`ConfigError` naming the file and key."""
    path = Path(path)
    return parse_sweep(load_yaml(path), where=str(path), path=path)


def parse_sweep(raw: Any, *, where: str = "sweep", path: Path | None = None,
                base: ExperimentConfig | None = None) -> SweepSpec:
    """Validate a sweep given as a mapping (the sweep file's keys), e.g. one built in code.

    Args:
        raw: the sweep file's top-level keys (``space`` required).
        where: what error messages name (the file, or the recipe it came from).
        path: the sweep file, if any (its folder is where ``base`` paths start).
        base: the config that ``raw['config']`` applies to when ``raw`` has no ``base`` file
            (default: the built-in defaults); left unchanged.
    """
    require_mapping(raw, where, "the sweep file")
    require_known(raw, TOP_KEYS, where, "top-level key")
    base = _base(raw, where, path.parent if path else Path("."), base)
    metric, direction = _metric(raw, where)
    strategy = _strategy(raw.get("strategy", {}), where)
    space = parse_space(raw.get("space"), base, where)
    _check_space_fits(space, strategy, where)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"{where}: seed expects an int. Received: {seed!r}")
    return SweepSpec(base, space, metric, direction, strategy, seed, path)


def grid_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The points a grid-like strategy trains, in file order: the Cartesian product of the params
    (``grid``, ``rounds``, ``random``/``tpe`` without ranges), or one param at a time (``oneway``)."""
    ranged = [p.key for p in spec.space if p.is_range]
    if ranged:
        raise ConfigError(f"{spec.path}: grid points need listed values, but {', '.join(ranged)} "
                          f"{'is a range' if len(ranged) == 1 else 'are ranges'}; sample them instead.")
    if spec.strategy.kind == "oneway":
        return [{p.key: v} for p in spec.space for v in p.values]
    product = itertools.product(*(p.values for p in spec.space))
    return [dict(zip((p.key for p in spec.space), combo)) for combo in product]


def apply_point(spec: SweepSpec, point: dict[str, Any]) -> ExperimentConfig:
    """A deep copy of the base config with ``{section.key: value}`` set (a preset knob sets its
    preset's keys); the base is left unchanged."""
    cfg = copy.deepcopy(spec.base)
    presets = {p.key: p.presets for p in spec.space if p.kind == "preset"}
    for key, value in point.items():
        for k, v in (presets[key][value] if key in presets else {key: value}).items():
            set_option(cfg, k, copy.deepcopy(v))
    return cfg


def round_plan(spec: SweepSpec, n_points: int) -> list[tuple[Round, int]]:
    """How many trials each round trains: all ``n_points`` first, then each round's ``keep`` of the
    previous round (a fraction rounds up; never more than the previous round had)."""
    plan: list[tuple[Round, int]] = []
    for r in spec.strategy.rounds:
        prev = plan[-1][1] if plan else n_points
        n = prev if r.keep is None else min(prev, _resolve(r.keep, prev))
        plan.append((r, n))
    return plan


def _resolve(amount: float, total: int) -> int:
    return amount if isinstance(amount, int) else math.ceil(amount * total)


# --- validation -------------------------------------------------------------------------------

def require_mapping(value: Any, where: str, what: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {what} must be a mapping. Received: {value!r}")


def require_known(raw: dict, allowed: tuple[str, ...], where: str, what: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown {what} {key!r}. {valid_hint(str(key), allowed)}")


def _base(raw: dict, where: str, root: Path, start: ExperimentConfig | None) -> ExperimentConfig:
    cfg = None
    if raw.get("base"):
        base = root / str(raw["base"])
        if not base.is_file():
            raise ConfigError(f"{where}: base config {str(base)!r} does not exist; base is a config YAML "
                              f"path relative to the sweep file. Received: {raw['base']!r}")
        cfg = resolve_config(yaml_path=base)
    cfg = cfg or (copy.deepcopy(start) if start is not None else ExperimentConfig())
    inline = raw.get("config") or {}
    require_mapping(inline, where, "config (sections of overrides, e.g. {train: {epochs: 10}})")
    for section, values in inline.items():
        require_mapping(values, where, f"config section {section!r}")
        for key, value in values.items():
            set_key(cfg, f"{section}.{key}", value, where, "config")
    return cfg


def _metric(raw: dict, where: str) -> tuple[str, str]:
    metric = raw.get("metric", "val_loss")
    base, _, task = str(metric).partition("/")
    if not isinstance(metric, str) or base not in METRICS or (metric.endswith("/") and not task):
        raise ConfigError(f"{where}: metric must be one training logs: {', '.join(METRICS)}, optionally "
                          f"/task (e.g. val_acc/hair). Received: {metric!r}")
    derived = "max" if base == "val_acc" else "min"
    given = raw.get("direction", derived)
    direction = {"maximize": "max", "minimize": "min"}.get(str(given), given)
    if direction not in ("min", "max"):
        raise ConfigError(f"{where}: direction must be 'min' or 'max'. Received: {raw.get('direction')!r}")
    if direction != derived:
        raise ConfigError(f"{where}: direction {direction!r} contradicts metric {metric!r}, which is "
                          f"{derived}imised; drop direction. Received: direction={raw.get('direction')!r}")
    return metric, direction


def _strategy(raw: Any, where: str) -> Strategy:
    require_mapping(raw, where, "strategy")
    require_known(raw, ("kind", "trials", "prune", "rounds"), where, "strategy key")
    kind, prune, trials = raw.get("kind", "grid"), raw.get("prune", "none"), raw.get("trials")
    if kind not in KINDS:
        raise ConfigError(f"{where}: unknown strategy.kind {kind!r}. {valid_hint(str(kind), KINDS)}")
    sampled = kind in ("random", "tpe")
    if not sampled and (trials is not None or prune != "none"):
        raise ConfigError(f"{where}: strategy.trials and strategy.prune apply to kind random or tpe only; "
                          f"kind {kind!r} trains every point. Received: trials={trials!r}, prune={prune!r}")
    if prune not in PRUNERS:
        raise ConfigError(f"{where}: unknown strategy.prune {prune!r}. {valid_hint(str(prune), PRUNERS)}")
    if sampled:
        trials = 20 if trials is None else trials
        if not is_count(trials):
            raise ConfigError(f"{where}: strategy.trials expects a positive int. Received: {trials!r}")
    if (kind == "rounds") != ("rounds" in raw):
        raise ConfigError(f"{where}: strategy.rounds goes with kind rounds (at least one round). "
                          f"Received: kind={kind!r}, rounds={raw.get('rounds')!r}")
    return Strategy(kind, trials, prune, _rounds(raw.get("rounds"), where) if kind == "rounds" else ())


def _rounds(raw: Any, where: str) -> tuple[Round, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: strategy.rounds must be a non-empty list of rounds. Received: {raw!r}")
    return tuple(_round(r, i, where) for i, r in enumerate(raw, 1))


def _round(raw: Any, i: int, where: str) -> Round:
    at = f"strategy.rounds[{i}]"
    require_mapping(raw, where, at)
    require_known(raw, ("subset", "epochs", "keep", "val_fraction"), where, f"{at} key")
    subset, epochs, keep, val = (raw.get(k) for k in ("subset", "epochs", "keep", "val_fraction"))
    if not (is_count(subset) or _fraction(subset)):
        raise ConfigError(f"{where}: {at}.subset expects an image count > 0 or a fraction in (0, 1]. "
                          f"Received: {subset!r}")
    if not is_count(epochs):
        raise ConfigError(f"{where}: {at}.epochs expects a positive int. Received: {epochs!r}")
    if (i == 1) != (keep is None):
        raise ConfigError(f"{where}: {at}.keep: the first round trains every point and takes no keep; each "
                          f"later round needs keep (a count or a fraction). Received: keep={keep!r}")
    if keep is not None and not (is_count(keep) or _fraction(keep)):
        raise ConfigError(f"{where}: {at}.keep expects a count > 0 or a fraction in (0, 1]. Received: {keep!r}")
    if val is not None and not (_fraction(val) and val < 1):
        raise ConfigError(f"{where}: {at}.val_fraction expects a fraction in (0, 1). Received: {val!r}")
    return Round(subset, epochs, keep, None if val is None else float(val))


def _fraction(x: Any) -> bool:
    return isinstance(x, float) and 0 < x <= 1


def _check_space_fits(space: tuple[Param, ...], strategy: Strategy, where: str) -> None:
    if strategy.kind in ("random", "tpe"):
        return
    for p in space:
        if p.is_range:
            raise ConfigError(f"{where}: space key {p.key!r} is a {p.kind}, which strategy kind "
                              f"{strategy.kind!r} cannot enumerate; list values with grid or choice, or use "
                              f"kind random or tpe.")
        owned = [k for k in p.keys if k in ROUND_OWNED]
        if strategy.kind == "rounds" and owned:
            raise ConfigError(f"{where}: space key {p.key!r} sets {owned[0]!r}, which each round sets in strategy "
                              f"kind rounds; set it per round (epochs, val_fraction) instead.")

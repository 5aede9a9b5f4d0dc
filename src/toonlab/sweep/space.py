"""The ``space`` of a sweep file: each searched key and the values, range or presets it may take.

Every value is checked against the config (the key exists, the type fits) and stored already typed.
A ``preset`` knob is the one kind whose key is not a config key: its values are names, each
standing for a bundle of config keys (``augment: {preset: {none: {}, light: {augment.hflip: 0.5}}}``),
so one searched choice can move several keys together.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from toonlab.config import ConfigError, ExperimentConfig, set_option, valid_hint

PARAM_KINDS = ("grid", "choice", "stack", "range", "log_range", "preset")


@dataclass(frozen=True)
class Param:
    """One searched config key: listed ``values`` (grid, choice) or a ``low``..``high`` range; or a
    ``preset`` knob whose ``values`` are names, each standing for the config keys in ``presets[name]``."""

    key: str
    kind: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    int: bool = False
    presets: dict = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        """The config keys this param sets: its own key, or every key of its presets."""
        if self.kind != "preset":
            return (self.key,)
        return tuple(dict.fromkeys(k for bundle in self.presets.values() for k in bundle))

    @property
    def is_range(self) -> bool:
        return self.kind in ("range", "log_range")


def parse_space(raw: Any, base: ExperimentConfig, where: str) -> tuple[Param, ...]:
    """The params of a ``space`` mapping, checked against ``base`` (left unchanged); errors name ``where``."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: space must map config keys (section.key) to values to try, e.g. "
                          f"{{model.head_depth: {{grid: [0, 1, 2]}}}}. Received: {raw!r}")
    space = tuple(_param(str(key), spec, base, where) for key, spec in raw.items())
    _check_overlap(space, where)
    return space


def _param(key: str, raw: Any, base: ExperimentConfig, where: str) -> Param:
    if not isinstance(raw, dict) or len(set(raw) - {"int"}) != 1:
        raise ConfigError(f"{where}: space key {key!r} expects one of {', '.join(PARAM_KINDS)}, e.g. "
                          f"{{grid: [1, 2]}} or {{range: [0.0, 0.5]}}. Received: {raw!r}")
    kind = next(k for k in raw if k != "int")
    if kind not in PARAM_KINDS:
        raise ConfigError(f"{where}: space key {key!r}: unknown kind {kind!r}. {valid_hint(str(kind), PARAM_KINDS)}")
    probe = copy.deepcopy(base)
    if kind == "preset":
        return _preset(key, raw, probe, where)
    if "." not in key:
        raise ConfigError(f"{where}: space key {key!r} must look like section.key, e.g. model.dropout.")
    if kind in ("range", "log_range"):
        return _range(key, kind, raw[kind], bool(raw.get("int", False)), probe, where)
    values = _stack(key, raw[kind], where) if kind == "stack" else raw[kind]
    if not isinstance(values, list) or not values or "int" in raw:
        raise ConfigError(f"{where}: space key {key!r}: {kind} expects a non-empty list of values (and no "
                          f"int). Received: {raw!r}")
    typed = tuple(set_key(probe, key, v, where, "space key") for v in values)
    return Param(key, "grid" if kind == "stack" else kind, typed)


def _stack(key: str, raw: Any, where: str) -> list[list[int]]:
    """``{depth: [1, 2], width: [32, 64]}`` -> ``[[32], [32, 32], [64], [64, 64]]`` (width outer)."""
    ok = isinstance(raw, dict) and set(raw) == {"depth", "width"}
    ok = ok and all(isinstance(raw[k], list) and raw[k] and all(is_count(x) for x in raw[k]) for k in raw)
    if not ok:
        raise ConfigError(f"{where}: space key {key!r}: stack expects {{depth: [counts], width: [counts]}}, "
                          f"e.g. {{depth: [1, 2, 3], width: [32, 64]}}. Received: {raw!r}")
    return [[w] * d for w in raw["width"] for d in raw["depth"]]


def _preset(key: str, raw: dict, probe: ExperimentConfig, where: str) -> Param:
    """``{preset: {name: {section.key: value, ...}}}``: one knob whose values are the names."""
    bundles = raw["preset"]
    ok = isinstance(bundles, dict) and bundles and "int" not in raw and all(
        isinstance(name, str) and isinstance(keys, (dict, type(None))) for name, keys in bundles.items())
    if not ok:
        raise ConfigError(f"{where}: space key {key!r}: preset expects named bundles of config keys, e.g. "
                          f"{{preset: {{none: {{}}, light: {{augment.hflip: 0.5}}}}}}. Received: {raw!r}")
    if _is_config_key(probe, key):
        raise ConfigError(f"{where}: space key {key!r} is a config key, so it cannot name a preset; give the "
                          f"knob a name of its own (e.g. {key.replace('.', '_')}_preset).")
    typed = {name: {k: set_key(probe, str(k), v, where, f"space key {key!r}: preset {name!r}: key")
                    for k, v in (keys or {}).items()} for name, keys in bundles.items()}
    return Param(key, "preset", tuple(typed), presets=typed)


def _is_config_key(cfg: ExperimentConfig, key: str) -> bool:
    section, _, name = key.partition(".")
    return hasattr(cfg, section) and name in getattr(getattr(cfg, section), "__dataclass_fields__", {})


def _check_overlap(space: tuple[Param, ...], where: str) -> None:
    seen: dict[str, str] = {}
    for p in space:
        for k in p.keys:
            if k in seen:
                raise ConfigError(f"{where}: config key {k!r} is set by both space keys {seen[k]!r} and "
                                  f"{p.key!r}; keep it in one of them.")
            seen[k] = p.key


def _range(key: str, kind: str, raw: Any, is_int: bool, probe: ExperimentConfig, where: str) -> Param:
    number = int if is_int else (int, float)
    ok = isinstance(raw, list) and len(raw) == 2 and all(
        isinstance(x, number) and not isinstance(x, bool) for x in raw)
    if not ok or raw[0] >= raw[1] or (kind == "log_range" and raw[0] <= 0):
        low = "> 0 " if kind == "log_range" else ""
        raise ConfigError(f"{where}: space key {key!r}: {kind} expects [low, high] with {low}low < high"
                          f"{' (ints)' if is_int else ''}. Received: {raw!r}")
    low, high = (x if is_int else float(x) for x in raw)
    for v in (low, high):
        typed = set_key(probe, key, v, where, "space key")
        if isinstance(typed, str):
            raise ConfigError(f"{where}: space key {key!r} takes text, so it cannot be a {kind}; list its "
                              f"values with grid or choice. Received: {raw!r}")
    return Param(key, kind, (), low, high, is_int)


def set_key(cfg: ExperimentConfig, key: str, value: Any, where: str, what: str) -> Any:
    """Set one key, re-raising config errors with the file and the sweep key; return the typed value."""
    try:
        set_option(cfg, key, copy.deepcopy(value))
    except ConfigError as e:
        raise ConfigError(f"{where}: {what} {key!r}: {str(e).removeprefix('option: ')}") from None
    section, _, name = key.partition(".")
    return getattr(getattr(cfg, section), name)


def is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x > 0

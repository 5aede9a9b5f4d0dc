"""Sweep points as Optuna params: config values in, Optuna-storable values out, and back.

Optuna stores a categorical choice only as None, bool, int, float or str, so a list value such as
``model.widths: [32, 32]`` is stored as its JSON text ``"[32, 32]"`` and decoded when read back.
"""

from __future__ import annotations

import json
from typing import Any

import optuna

from toonlab.sweep.spec import Param

SCALARS = (type(None), bool, int, float, str)


def encode(value: Any) -> Any:
    """A config value as an Optuna categorical choice (JSON text for lists and mappings)."""
    return value if isinstance(value, SCALARS) else json.dumps(value)


def decode(param: Param, stored: Any) -> Any:
    """The config value behind a stored choice of ``param``."""
    if param.is_range:
        return int(stored) if param.int else float(stored)
    for value in param.values:
        if encode(value) == stored:
            return value
    raise ValueError(f"{stored!r} is not a value of sweep param {param.key!r}")


def encode_point(point: dict[str, Any]) -> dict[str, Any]:
    """``{key: value}`` → ``{key: stored choice}``, for ``study.enqueue_trial``."""
    return {key: encode(value) for key, value in point.items()}


def suggest(trial: optuna.Trial, param: Param) -> Any:
    """Ask ``trial`` for ``param``'s value (the fixed one of an enqueued trial, else sampled)."""
    if param.kind == "range":
        if param.int:
            return trial.suggest_int(param.key, int(param.low), int(param.high))
        return trial.suggest_float(param.key, param.low, param.high)
    if param.kind == "log_range":
        if param.int:
            return trial.suggest_int(param.key, int(param.low), int(param.high), log=True)
        return trial.suggest_float(param.key, param.low, param.high, log=True)
    return decode(param, trial.suggest_categorical(param.key, [encode(v) for v in param.values]))


def short(point: dict[str, Any]) -> str:
    """``widths=[32, 32] head_depth=1``: a point with keys shortened to their last part, for tables and legends."""
    return " ".join(f"{key.rpartition('.')[2]}={_text(value)}" for key, value in point.items())


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)

"""Mean ± std over the members of a k-fold or repeated-seed run, and the table that shows it.

Example:
    >>> runs = {"fold-1": {"tasks": {"a": {"kind": "classification", "accuracy": 0.8}}, "mean_accuracy": 0.8},
    ...         "fold-2": {"tasks": {"a": {"kind": "classification", "accuracy": 0.6}}, "mean_accuracy": 0.6}}
    >>> s = aggregate(runs, kind="folds")
    >>> s["tasks"]["a"]["accuracy"]["mean"], round(s["tasks"]["a"]["accuracy"]["std"], 4)
    (0.7, 0.1414)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from toonlab.evaluate.metrics import beats_baseline
from toonlab.text_table import format_table

# Per-task numbers worth a mean ± std (whichever a task has).
AGGREGATED = ("accuracy", "accuracy_visible", "drawn_fraction", "macro_f1", "baseline_accuracy", "mae", "rmse", "mape",
              "baseline_mae")


def aggregate(members: dict[str, dict[str, Any]], *, kind: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Summarise member metrics: per task and metric ``{"mean", "std", "values"}`` (std with ddof=1), and
    ``beats_baseline`` of the means (see :func:`toonlab.evaluate.metrics.beats_baseline`).

    Args:
        members: ``{member folder name: its metrics.json}``, in order.
        kind: ``"folds"`` or ``"repeats"``.
        extra: more top-level keys (command, seed).

    The summary's ``advice`` is the first member's (see :mod:`toonlab.evaluate.advice`), each entry
    marked with its ``member``: one member's curves speak for the recipe.
    """
    first = next(iter(members.values()))
    tasks: dict[str, dict[str, Any]] = {}
    for name, m in first["tasks"].items():
        entry: dict[str, Any] = {"kind": m.get("kind", "classification")}
        if "num_classes" in m:
            entry["num_classes"] = m["num_classes"]
        for key in AGGREGATED:
            values = [run["tasks"][name][key] for run in members.values() if key in run["tasks"].get(name, {})]
            if len(values) == len(members):
                entry[key] = mean_std(values)
        entry["beats_baseline"] = beats_baseline({k: v["mean"] if isinstance(v, dict) else v for k, v in entry.items()})
        tasks[name] = entry
    first_name = next(iter(members))  # advice comes from the first member only, marked with its name
    advice = [{**a, "member": first_name} for a in first.get("advice", [])]
    return {"kind": kind, "members": members, "tasks": tasks, "advice": advice,
            "mean_accuracy": mean_std([m["mean_accuracy"] for m in members.values()]), **(extra or {})}


def mean_std(values: list[float]) -> dict[str, Any]:
    """``{"mean", "std", "values"}``; std is the sample standard deviation (0 for one value); NaNs ignored."""
    arr = np.array([v for v in values if v is not None and not _isnan(v)], dtype=float)
    mean = float(arr.mean()) if len(arr) else float("nan")
    std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
    return {"mean": mean, "std": std, "values": [float(v) for v in values]}


def format_aggregate(summary: dict[str, Any]) -> str:
    """A table: per task the mean ± std of the main metric (accuracy or MAE) and each member's value."""
    names = list(summary["members"])
    header = ("task", "metric", "mean ± std", *names)
    rows = []
    for task, entry in summary["tasks"].items():
        key = "mae" if entry["kind"] == "regression" else "accuracy"
        if key not in entry:
            continue
        stats, fmt = entry[key], (_num if key == "mae" else _pct)
        rows.append((task, key, f"{fmt(stats['mean'])} ± {fmt(stats['std'])}", *[fmt(v) for v in stats["values"]]))
    acc = summary["mean_accuracy"]
    if not _isnan(acc["mean"]):
        rows.append(("mean", "accuracy", f"{_pct(acc['mean'])} ± {_pct(acc['std'])}", *[_pct(v) for v in acc["values"]]))
    label = "folds" if summary["kind"] == "folds" else "seeds"
    return f"{len(names)} {label}:\n" + format_table(header, rows, right_from=1, rule=True)


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _pct(x: float) -> str:
    return "n/a" if _isnan(x) else f"{100 * x:.2f}%"


def _num(x: float) -> str:
    return "n/a" if _isnan(x) else f"{x:.4g}"

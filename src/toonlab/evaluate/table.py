"""The per-task results table that ``train``, ``eval`` and ``demo`` print."""

from __future__ import annotations

import math
from typing import Any


def format_table(metrics: dict[str, Any]) -> str:
    """A plain-text table: task, classes, test accuracy, visible-only accuracy, majority baseline, n.

    Example:
        >>> m = {"tasks": {"hair": {"num_classes": 3, "accuracy": 0.9, "baseline_accuracy": 0.4, "n_test": 10}}}
        >>> print(format_table(m).splitlines()[0])
        task  classes  test acc  visible acc  baseline  n test
    """
    tasks = metrics["tasks"]
    rows = [_row(name, m) for name, m in tasks.items()]
    if len(rows) > 1:
        rows.append(_mean_row(tasks))
    header = ("task", "classes", "test acc", "visible acc", "baseline", "n test")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [_fmt(header, widths), _fmt(tuple("-" * w for w in widths), widths)]
    lines += [_fmt(r, widths) for r in rows]
    return "\n".join(lines)


def _row(name: str, m: dict[str, Any]) -> tuple[str, ...]:
    visible = _pct(m["accuracy_visible"]) if "accuracy_visible" in m else ""
    return (name, str(m["num_classes"]), _pct(m["accuracy"]), visible, _pct(m["baseline_accuracy"]), str(m["n_test"]))


def _mean_row(tasks: dict[str, Any]) -> tuple[str, ...]:
    accs = [m["accuracy"] for m in tasks.values()]
    vis = [m.get("accuracy_visible", m["accuracy"]) for m in tasks.values()]
    base = [m["baseline_accuracy"] for m in tasks.values()]
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    any_hidden = any("accuracy_visible" in m for m in tasks.values())
    return ("mean", "", _pct(mean(accs)), _pct(mean(vis)) if any_hidden else "", _pct(mean(base)), "")


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def _fmt(cells: tuple[str, ...], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
    return "  ".join([first, *rest]).rstrip()

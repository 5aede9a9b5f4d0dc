"""The per-task results tables that ``train``, ``eval`` and ``demo`` print.

Classification tasks: classes, test accuracy, macro-F1, majority baseline, n; where some task has
labels that are not drawn in some images, also its accuracy where drawn and the share of test
images where it is drawn (other tasks leave those cells blank).
Regression tasks (a second table): MAE, RMSE, MAPE, the mean-predictor baseline MAE, n.
A task that does not beat its baseline is marked ``≤ baseline`` in a last column, with a footnote.
"""

from __future__ import annotations

import math
from typing import Any

from toonlab.evaluate.metrics import beats_baseline
from toonlab.text_table import format_table

BELOW = "≤ baseline"
SUMMARY_TASKS = 6  # print each task's mistake summary when there are at most this many tasks


def format_metrics(metrics: dict[str, Any]) -> str:
    """Plain-text tables of ``metrics["tasks"]``, then the mistake summaries for a few tasks.

    Example:
        >>> m = {"tasks": {"hair": {"num_classes": 3, "accuracy": 0.9, "baseline_accuracy": 0.4, "n_test": 10}}}
        >>> print(format_metrics(m).splitlines()[0])
        task  classes  test acc  macro-F1  baseline  n test
    """
    tasks = metrics["tasks"]
    parts = []
    classified = {n: m for n, m in tasks.items() if m.get("kind", "classification") == "classification"}
    regressed = {n: m for n, m in tasks.items() if m.get("kind") == "regression"}
    if classified:
        parts.append(_classification_table(classified))
    if regressed:
        parts.append(_regression_table(regressed))
    below = [n for n, m in tasks.items() if beats_baseline(m) is False]
    if below:
        parts[-1] += "\n\n" + _footnote(below)
    summaries = [f"{n}: {m['mistakes']['summary']}" for n, m in classified.items() if "mistakes" in m]
    if summaries and len(tasks) <= SUMMARY_TASKS:
        parts.append("\n".join(summaries))
    return "\n\n".join(parts)


def _classification_table(tasks: dict[str, Any]) -> str:
    drawn = any("accuracy_visible" in m for m in tasks.values())
    rows = [_row(name, m, drawn) for name, m in tasks.items()]
    if len(rows) > 1:
        rows.append(_mean_row(tasks, drawn))
    where = ("acc where drawn", "drawn") if drawn else ()
    return _grid(("task", "classes", "test acc", *where, "macro-F1", "baseline", "n test"), _marked(rows, tasks))


def _regression_table(tasks: dict[str, Any]) -> str:
    rows = [(n, _num(m["mae"]), _num(m["rmse"]), _pct(m["mape"]), _num(m["baseline_mae"]), str(m["n_test"]))
            for n, m in tasks.items()]
    return _grid(("regression task", "MAE", "RMSE", "MAPE", "baseline MAE", "n test"), _marked(rows, tasks))


def _marked(rows: list[tuple[str, ...]], tasks: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows with a last cell ``≤ baseline`` for each task that does not beat its baseline (as they were if none)."""
    if all(beats_baseline(m) is not False for m in tasks.values()):
        return rows
    below = {n for n, m in tasks.items() if beats_baseline(m) is False}
    return [(*row, BELOW if row[0] in below else "") for row in rows]


def _footnote(names: list[str]) -> str:
    return (f"{BELOW}: on the test split, {', '.join(names)} did no better than always predicting the training "
            "split's most frequent class (regression: its mean value); the network has learnt nothing usable there.")


def _row(name: str, m: dict[str, Any], drawn: bool) -> tuple[str, ...]:
    where = (_pct(m["accuracy_visible"]), _share(m.get("drawn_fraction"))) if "accuracy_visible" in m else ("", "")
    return (name, str(m["num_classes"]), _pct(m["accuracy"]), *(where if drawn else ()), _pct(m.get("macro_f1")),
            _pct(m["baseline_accuracy"]), str(m["n_test"]))


def _mean_row(tasks: dict[str, Any], drawn: bool) -> tuple[str, ...]:
    accs = [m["accuracy"] for m in tasks.values()]
    vis = [m.get("accuracy_visible", m["accuracy"]) for m in tasks.values()]
    f1 = [m["macro_f1"] for m in tasks.values() if m.get("macro_f1") is not None]
    base = [m["baseline_accuracy"] for m in tasks.values()]
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    where = (_pct(mean(vis)), "") if drawn else ()
    return ("mean", "", _pct(mean(accs)), *where, _pct(mean(f1)) if f1 else "", _pct(mean(base)), "")


def _grid(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    header = (*header, "")[:max(len(r) for r in [header, *rows])]  # a marker column has no heading
    return format_table(header, rows, right_from=1, rule=True)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _pct(x: float | None) -> str:
    return "n/a" if _missing(x) else f"{100 * x:.2f}%"


def _share(x: float | None) -> str:
    """A share with one decimal (``91.7%``); blank when unknown (metrics written before it existed)."""
    return "" if _missing(x) else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "n/a" if _missing(x) else f"{x:.4g}"


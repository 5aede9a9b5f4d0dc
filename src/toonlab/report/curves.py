"""The report's learning curves, id ``curves``: per task one small accuracy panel (MAE for regression)
and one loss panel, each with the training and validation lines by epoch, from the run's history.csv
(RUN/tasks/<task>/history.csv in separate mode).

A shared network with several tasks gets a first pair of panels for the whole network: the mean
accuracy over its classification tasks and the summed loss that early stopping watches.

Example:
    >>> rows = [{"epoch": "1", "train_acc/hair": "0.5", "val_acc/hair": "0.4",
    ...          "train_loss/hair": "1.2", "val_loss/hair": "1.3"}]
    >>> [p.task for p in task_panels(rows)]
    ['hair']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from toonlab.report.charts import line_panel
from toonlab.report.files import ReportFolder, read_csv
from toonlab.report.html import Raw, join, para, section, tag

MAX_TASKS = 40  # task panels drawn; the rest are counted
ALL_TASKS = "all tasks"
_KEY = re.compile(r"(train|val)_(acc|mae|loss)/(.+)")
YLABELS = {"acc": "accuracy (%)", "mae": "MAE (label units)"}
LOSS_LABELS = {"acc": "cross-entropy", "mae": "MSE (scaled)", "all": "sum of task losses"}


@dataclass(frozen=True)
class TaskCurves:
    """The columns of one task's curves: ``metric`` is ``acc`` or ``mae``; ``suffix`` is ``/<task>``, or
    empty for the whole network's columns."""

    task: str
    metric: str
    suffix: str


def curves_section(folder: ReportFolder) -> Raw | None:
    """id ``curves``: one card per task with its accuracy (or MAE) panel and its loss panel."""
    histories = _histories(folder.path)
    cards = []
    for rows in histories.values():
        cards += [_card(rows, c) for c in [*_whole_network(rows), *task_panels(rows)]]
    if not cards:
        return None
    note = para("Per task, accuracy (regression: MAE) and loss by epoch; losses are means per image. Training "
                "values are measured during each epoch, with augmentation and dropout on; validation values on "
                "the validation split after it.", cls="note")
    more = para(f"… and {len(cards) - MAX_TASKS} more tasks in history.csv.", cls="note") if len(cards) > MAX_TASKS \
        else None
    return section("curves", "Learning curves", note, tag("div", join(cards[:MAX_TASKS]), cls="curves"), more)


def task_panels(rows: list[dict[str, str]]) -> list[TaskCurves]:
    """The tasks of a history, in column order, each with its metric (``acc`` or ``mae``)."""
    tasks: list[str] = []
    metrics: dict[str, str] = {}
    for key in rows[0] if rows else []:
        if m := _KEY.fullmatch(key):
            tasks += [] if m[3] in tasks else [m[3]]
            metrics.update({} if m[2] == "loss" else {m[3]: m[2]})
    return [TaskCurves(task, metrics.get(task, "acc"), f"/{task}") for task in tasks]


def _whole_network(rows: list[dict[str, str]]) -> list[TaskCurves]:
    """The network's own pair of panels when it serves more than one task and has a classification task."""
    tasks = task_panels(rows)
    if len(tasks) < 2 or not any(t.metric == "acc" for t in tasks) or "train_acc" not in rows[0]:
        return []
    return [TaskCurves(ALL_TASKS, "acc", "")]


def _card(rows: list[dict[str, str]], c: TaskCurves) -> Raw:
    epochs = column(rows, "epoch")
    metric = {s: (epochs, column(rows, f"{s}_{c.metric}{c.suffix}")) for s in ("train", "val")}
    loss = {s: (epochs, column(rows, f"{s}_loss{c.suffix}")) for s in ("train", "val")}
    title = "mean accuracy" if c.task == ALL_TASKS else {"acc": "accuracy", "mae": "MAE"}[c.metric]
    metric, loss = _present(metric), _present(loss)
    panels = [line_panel(f"{c.task} · {title}", metric, ylabel=YLABELS[c.metric], percent=c.metric == "acc")
              if metric else None,
              line_panel(f"{c.task} · loss", loss, ylabel=LOSS_LABELS["all" if c.task == ALL_TASKS else c.metric])
              if loss else None]
    return tag("figure", join(panels), cls="curve", title=c.task)


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    """A numeric column of history rows (empty when absent or not numbers; blanks become NaN)."""
    if not rows or key not in rows[0]:
        return []
    try:
        return [float(r[key]) if r.get(key) not in ("", None) else float("nan") for r in rows]
    except ValueError:
        return []


def _present(series: dict[str, tuple[list[float], list[float]]]) -> dict[str, tuple[list[float], list[float]]]:
    return {name: xy for name, xy in series.items() if xy[1] and len(xy[0]) == len(xy[1])}


def _histories(run: Path) -> dict[str, list[dict[str, str]]]:
    """``{network: history rows}``: the shared network's, else each task network's; rows without epochs dropped."""
    if (run / "history.csv").is_file():
        found = {"shared": read_csv(run / "history.csv")}
    else:
        found = {p.parent.name: read_csv(p) for p in sorted((run / "tasks").glob("*/history.csv"))}
    return {name: rows for name, rows in found.items() if rows and column(rows, "epoch")}

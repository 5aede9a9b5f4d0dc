"""From out-of-fold probabilities to the audit's rows, its per-task summary, ``audit.csv`` and the console text.

A label counts only where it is given and drawn: an image without a label for the task, or whose label
the visibility table marks as not drawn, is never flagged (no picture can contradict it).

Example:
    >>> rows, tasks = rank_tasks(data, probs)  # doctest: +SKIP
    >>> rows[0]  # doctest: +SKIP
    {'file': '3/cs123.png', 'task': 'hair_color', 'given': '2', 'suggested': '7', 'confidence': 0.97, 'rank': 1, ...}
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from toonlab.audit.confident import UNLABELLED, find_label_issues
from toonlab.data.dataset import PreparedData
from toonlab.text_table import format_table

COLUMNS = ("file", "task", "given", "suggested", "confidence", "rank", "given_probability")
LOW_AGREEMENT = 0.8  # out-of-fold accuracy under which a task's flags are mostly the audit model's own mistakes
SHOW = 3  # flagged images named per task on the console


def given_labels(data: PreparedData, task: str) -> np.ndarray:
    """The task's given class indices, -1 where there is no label or it is not drawn."""
    j = list(data.tasks).index(task)
    y = data.labels[:, j]
    usable = ~np.isnan(y) & ~data.hidden[:, j]
    return np.where(usable, np.nan_to_num(y), UNLABELLED).astype(np.int64)


def rank_tasks(data: PreparedData, probs: dict[str, np.ndarray]) -> tuple[list[dict[str, Any]], dict[str, dict]]:
    """``(rows of audit.csv, {task: summary})``; rows by task in data order, then rank 1, 2, ..."""
    rows: list[dict[str, Any]] = []
    summary: dict[str, dict] = {}
    for task, p in probs.items():
        given, classes = given_labels(data, task), data.tasks[task].classes
        issues = find_label_issues(p, given)
        for i in range(len(issues)):
            rows.append({"file": data.rel_paths[issues.rows[i]], "task": task, "given": classes[issues.given[i]],
                         "suggested": classes[issues.suggested[i]], "confidence": float(issues.confidence[i]),
                         "rank": i + 1, "given_probability": float(issues.given_probability[i])})
        summary[task] = _task_summary(p, given, len(issues), data.hidden[:, list(data.tasks).index(task)])
    return rows, summary


def _task_summary(p: np.ndarray, given: np.ndarray, flagged: int, hidden: np.ndarray) -> dict[str, Any]:
    labelled = given != UNLABELLED
    agree = float((p[labelled].argmax(axis=1) == given[labelled]).mean()) if labelled.any() else None
    return {"audited": int(labelled.sum()), "flagged": flagged, "oof_accuracy": agree,
            "not_drawn": int(hidden.sum()), "reliable": agree is not None and agree >= LOW_AGREEMENT}


def write_audit_csv(path: str | Path, rows: list[dict[str, Any]]) -> Path:
    """``audit.csv``: one row per flagged (image, task), probabilities to 4 decimals."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})
    return path


def format_audit(rows: list[dict[str, Any]], tasks: dict[str, dict]) -> str:
    """The console text: one line per task (images, out-of-fold accuracy, flagged), a few examples, warnings."""
    cells = [(task, str(s["audited"]), "n/a" if s["oof_accuracy"] is None else f"{s['oof_accuracy']:.1%}",
              str(s["flagged"])) for task, s in tasks.items()]
    lines = [format_table(("task", "audited", "oof acc", "flagged"), cells, right_from=1, rule=True)]
    for task in tasks:
        shown = [r for r in rows if r["task"] == task][:SHOW]
        if shown:
            lines.append(f"\n{task}: " + "; ".join(f"{r['file']} given {r['given']!r}, looks like {r['suggested']!r} "
                                                   f"({r['confidence']:.0%})" for r in shown))
    weak = [t for t, s in tasks.items() if not s["reliable"] and s["audited"]]
    if weak:
        lines.append(f"\nThe audit network agrees with fewer than {LOW_AGREEMENT:.0%} of the given labels of "
                     f"{', '.join(weak)}: most of their flags are its own mistakes, not label errors. Give it more "
                     "to learn from: --epochs 20, --image-size 64 or a --config with a larger model.")
    return "\n".join(lines)

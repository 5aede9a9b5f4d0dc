"""Per-task evaluation files under ``RUN/eval/<task>/``: what a user opens after the table.

Classification: ``confusion.csv``, ``confusion.png`` and ``mistakes.csv`` (the most confident
mistakes with file names). Regression: ``scatter.png`` (predicted vs true) and ``errors.csv``
(the largest errors). Each writer returns what metrics.json keeps: the mistake count and summary,
the first few examples and the files written (relative to the run).

Example:
    >>> info = write_task_files(run, "hair", spec, files, labels, probs)  # doctest: +SKIP
    >>> info["mistakes"]["summary"]  # doctest: +SKIP
    "misclassified 3 of 500: 2 'red' as 'brown', 1 'blond' as 'red'"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.evaluate.confusion import confusion_matrix, plot_confusion, write_confusion_csv
from toonlab.evaluate.mistakes import confident_mistakes, regression_errors, write_mistakes_csv
from toonlab.evaluate.plots import plot_regression

EVAL_DIR = "eval"
KEEP_EXAMPLES = 5  # examples copied into metrics.json; the CSV holds up to ``top``


def write_task_files(
    run: Path, name: str, spec: TaskSpec, files: list[str], labels: np.ndarray, outputs: np.ndarray, *,
    top: int = 20, plots: bool = True,
) -> dict[str, Any]:
    """Write one task's evaluation files; return ``{"mistakes": {...}, "files": [...]}`` for metrics.json.

    Args:
        run: the run folder.
        name: the task (its folder name under ``RUN/eval``).
        spec: the task spec (classes, kind).
        files: each evaluated image's path relative to the data folder.
        labels: (N,) true labels (class indices or values; NaN = no label).
        outputs: (N, K) probabilities or (N,) predicted values.
        top: mistakes listed in the CSV.
        plots: also draw the PNGs (about 0.2-1.5 s each).
    """
    folder = run / EVAL_DIR / _safe(name)
    folder.mkdir(parents=True, exist_ok=True)
    if spec.is_regression:
        written, mistakes = _regression_files(folder, name, files, labels, outputs, top=top, plots=plots)
    else:
        written, mistakes = _classification_files(folder, name, spec, files, labels, outputs, top=top, plots=plots)
    short = {**mistakes, "examples": mistakes["examples"][:KEEP_EXAMPLES]}
    return {"mistakes": short, "files": [p.relative_to(run).as_posix() for p in written]}


def _classification_files(folder: Path, name: str, spec: TaskSpec, files, labels, probs, *, top: int, plots: bool):
    y = np.where(np.isnan(labels), -1, labels).astype(np.int64)
    matrix = confusion_matrix(y, probs.argmax(1), spec.num_classes)
    mistakes = confident_mistakes(files, y, probs, spec.classes, top=top)
    written = [write_confusion_csv(folder / "confusion.csv", matrix, spec.classes),
               write_mistakes_csv(folder / "mistakes.csv", mistakes["examples"])]
    if plots:
        written.append(plot_confusion(folder / "confusion.png", matrix, spec.classes, title=f"{name}: confusion"))
    return written, mistakes


def _regression_files(folder: Path, name: str, files, labels, values, *, top: int, plots: bool):
    errors = regression_errors(files, labels, values, top=top)
    written = [write_mistakes_csv(folder / "errors.csv", errors["examples"])]
    if plots:
        written.append(plot_regression(folder / "scatter.png", labels, values, task=name))
    return written, errors


def _safe(name: str) -> str:
    """A folder name for a task (combined tasks hold '+'; keep it, replace path separators)."""
    return name.replace("/", "_").replace("\\", "_")

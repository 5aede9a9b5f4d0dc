"""Predictions as a printed table and as a CSV file.

Table: one row per image, the file then one column per task holding ``label probability``
(``--top K``: the K best, comma-separated) or the predicted value for regression tasks.

CSV columns: ``file``; per classification task ``<task>`` (class name) and ``<task>_prob``, plus
``<task>_top<k>`` / ``<task>_top<k>_prob`` for k = 2..K; per regression task ``<task>`` (the value);
last ``error``: empty for predicted images, the reason for files that could not be read (their task
cells are empty and they come after the predicted rows).
"""

from __future__ import annotations

import csv
from pathlib import Path

from toonlab.errors import ToonlabError
from toonlab.text_table import format_table
from toonlab.ship.predict import Predictions


def format_predictions(preds: Predictions, *, top: int = 1) -> str:
    """A plain-text table of ``preds`` (readable files only; failures are listed by the caller).

    Example:
        >>> import numpy as np
        >>> from toonlab.data.samples import TaskSpec
        >>> p = Predictions(["a.png"], {"hair": TaskSpec("hair", classes=("blond", "red"))},
        ...                 {"hair": np.array([[0.2, 0.8]])})
        >>> print(format_predictions(p))
        file   hair
        -----  ---------
        a.png  red 0.800
    """
    _check_top(top)
    header = ["file", *preds.tasks]
    columns = [_table_cells(preds, name, top) for name in preds.tasks]
    rows = [[file, *(col[i] for col in columns)] for i, file in enumerate(preds.files)]
    return _grid(header, rows)


def write_predictions_csv(preds: Predictions, path: str | Path, *, top: int = 1) -> Path:
    """Write ``preds`` (and its failures) as CSV to ``path``; returns the path.

    Raises:
        ToonlabError: ``path`` cannot be written.
    """
    _check_top(top)
    path = Path(path)
    header = ["file"] + [c for name in preds.tasks for c in _csv_header(preds, name, top)] + ["error"]
    columns = [_csv_cells(preds, name, top) for name in preds.tasks]
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for i, file in enumerate(preds.files):
                writer.writerow([file, *(c for col in columns for c in col[i]), ""])
            for skipped in preds.failures:
                writer.writerow([skipped.path, *[""] * (len(header) - 2), skipped.reason])
    except OSError as e:
        raise ToonlabError(f"Cannot write predictions to {str(path)!r}: {e.strerror}. "
                           "Pass a file in an existing, writable folder.") from None
    return path


def _table_cells(preds: Predictions, name: str, top: int) -> list[str]:
    if preds.tasks[name].is_regression:
        return [f"{v:.4g}" for v in preds.outputs[name]]
    classes = preds.tasks[name].classes
    order, probs = preds.top(name, top)
    return [", ".join(f"{classes[k]} {p:.3f}" for k, p in zip(ks, ps)) for ks, ps in zip(order, probs)]


def _csv_header(preds: Predictions, name: str, top: int) -> list[str]:
    if preds.tasks[name].is_regression:
        return [name]
    extra = [c for k in range(2, min(top, preds.tasks[name].num_classes) + 1)
             for c in (f"{name}_top{k}", f"{name}_top{k}_prob")]
    return [name, f"{name}_prob", *extra]


def _csv_cells(preds: Predictions, name: str, top: int) -> list[list[str]]:
    if preds.tasks[name].is_regression:
        return [[f"{v:.6g}"] for v in preds.outputs[name]]
    classes = preds.tasks[name].classes
    order, probs = preds.top(name, top)
    return [[c for k, p in zip(ks, ps) for c in (classes[k], f"{p:.4f}")] for ks, ps in zip(order, probs)]


def _grid(header: list[str], rows: list[list[str]]) -> str:
    return format_table(header, rows, rule=True)


def _check_top(top: int) -> None:
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ToonlabError(f"--top must be a whole number of classes >= 1. Received: top={top!r}")

"""Confusion matrices of classification tasks: counting, CSV export and a heatmap PNG."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toonlab.evaluate.plots import new_figure, save_figure

UNLABELLED = -1  # label value of images without a label for the task (as in training)
TEXT_MAX_CLASSES = 20  # counts are written in the cells up to this many classes
MAX_TICK_LABELS = 120  # more classes than this: only every k-th tick is labelled


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Count (true, predicted) pairs; images whose true label is -1 (unlabelled) are skipped.

    Args:
        y_true: (N,) true class indices in [0, num_classes) or -1.
        y_pred: (N,) predicted class indices in [0, num_classes).
        num_classes: K, the number of classes.

    Returns:
        (K, K) int64 array; entry [i, j] counts images of true class i predicted as class j.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1, -1]), np.array([0, 0, 1, 1]), 2)
        array([[1, 0],
               [1, 1]])
    """
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "confusion_matrix: y_true and y_pred must have the same length. "
            f"Received: len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    keep = y_true != UNLABELLED
    y_true, y_pred = y_true[keep], y_pred[keep]
    _check_range("y_true", y_true, num_classes)
    _check_range("y_pred", y_pred, num_classes)
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def _check_range(name: str, values: np.ndarray, num_classes: int) -> None:
    """Raise a readable error when a class index is outside [0, num_classes)."""
    bad = (values < 0) | (values >= num_classes)
    if bad.any():
        raise ValueError(
            f"confusion_matrix: {name} must hold class indices in [0, {num_classes}) "
            f"(or -1 for unlabelled in y_true). Received: {name} containing {int(values[bad][0])}"
        )


def write_confusion_csv(path: str | Path, matrix: np.ndarray, classes: Sequence[str]) -> Path:
    """Write the matrix as CSV: header ``true\\pred,<class...>``, then one row per true class.

    Args:
        path: the CSV file to write (parent folders created).
        matrix: (K, K) counts from :func:`confusion_matrix`.
        classes: the K class names, in index order.

    Returns:
        The path written.

    Example:
        >>> write_confusion_csv("run/confusion/glasses.csv", m, ["no", "yes"])  # doctest: +SKIP
    """
    matrix = _check_matrix(matrix, classes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["true\\pred", *classes])
        for name, row in zip(classes, matrix):
            writer.writerow([name, *(int(v) for v in row)])
    return path


def _check_matrix(matrix: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """The matrix as an array, after checking it is square and matches the class names."""
    matrix = np.asarray(matrix)
    k = len(classes)
    if matrix.shape != (k, k):
        raise ValueError(
            f"confusion matrix must be square with one row and column per class ({k} classes). "
            f"Received: matrix of shape {matrix.shape}"
        )
    return matrix


def row_normalise(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows of a class with no images stay 0).

    Example:
        >>> row_normalise(np.array([[3, 1], [0, 0]]))
        array([[0.75, 0.25],
               [0.  , 0.  ]])
    """
    matrix = np.asarray(matrix, dtype=float)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


def plot_confusion(path: str | Path, matrix: np.ndarray, classes: Sequence[str], *, title: str) -> Path:
    """Heatmap PNG of a confusion matrix, coloured by the row-normalised fraction.

    With up to 20 classes each non-empty cell shows its count (empty cells stay blank); above
    that the figure grows with K (about 0.15 inch a class, capped at 22 inches), cell text is
    dropped and, past 120 classes, only every k-th tick is labelled, so a 111-class task stays
    readable.

    Args:
        path: the PNG to write (parent folders created).
        matrix: (K, K) counts from :func:`confusion_matrix`.
        classes: the K class names, in index order.
        title: figure title, e.g. the task name and accuracy.

    Returns:
        The path written.

    Example:
        >>> plot_confusion("run/confusion/glasses.png", m, ["no", "yes"], title="glasses")  # doctest: +SKIP
    """
    matrix = _check_matrix(matrix, classes)
    k = len(classes)
    side = float(np.clip(1.5 + 0.45 * k, 4.0, 9.0)) if k <= TEXT_MAX_CLASSES else min(4 + 0.15 * k, 22.0)
    fig = new_figure(side + 1.5, side)
    ax = fig.add_subplot()
    image = ax.imshow(row_normalise(matrix), cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    _label_axes(ax, classes)
    if k <= TEXT_MAX_CLASSES:
        _write_counts(ax, matrix)
    ax.set_title(title)
    return save_figure(fig, path)


def _label_axes(ax, classes: Sequence[str]) -> None:
    """Class names on both axes; thinned to at most MAX_TICK_LABELS and shrunk for many classes."""
    k = len(classes)
    step = int(np.ceil(k / MAX_TICK_LABELS))
    ticks = np.arange(0, k, step)
    names = [_short(classes[i]) for i in ticks]
    fontsize = 9 if k <= TEXT_MAX_CLASSES else 6 if k <= 60 else 5
    ax.set_xticks(ticks, names, rotation=90, fontsize=fontsize)
    ax.set_yticks(ticks, names, fontsize=fontsize)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")


def _short(name: str, limit: int = 18) -> str:
    """A class name cut to ``limit`` characters so long names do not squeeze the heatmap."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _write_counts(ax, matrix: np.ndarray) -> None:
    """Each non-zero cell's count, white on dark cells, black on light ones."""
    fractions = row_normalise(matrix)
    fontsize = 10 if len(matrix) <= 8 else 7
    for i, j in zip(*np.nonzero(matrix)):
        count = matrix[i, j]
        color = "white" if fractions[i, j] > 0.5 else "black"
        ax.text(j, i, str(int(count)), ha="center", va="center", color=color, fontsize=fontsize)

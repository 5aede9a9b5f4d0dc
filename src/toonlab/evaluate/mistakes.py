"""The worst predictions of a task: confident misclassifications and the largest regression errors."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

UNLABELLED = -1  # label value of images without a label for the task (as in training)
SUMMARY_PAIRS = 5  # the summary sentence names at most this many (true -> predicted) pairs


def confident_mistakes(
    files: Sequence[str], y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str], *, top: int = 20
) -> dict:
    """The misclassified images of a task, the most confident first, with a one-line summary.

    Args:
        files: (N,) image paths, in the order of ``y_true`` and ``probs``.
        y_true: (N,) true class indices; -1 = unlabelled, excluded.
        probs: (N, K) predicted class probabilities; the prediction is the argmax.
        classes: the K class names.
        top: how many mistakes to return in ``examples``.

    Returns:
        ``{"count": mistakes, "total": labelled images, "summary": str, "examples": [...]}`` where
        each example is ``{"file", "true", "pred", "confidence"}`` (class names; the probability
        of the predicted class), sorted by confidence, highest first.

    Example:
        >>> out = confident_mistakes(["a.png", "b.png"], np.array([0, 1]),
        ...                          np.array([[0.9, 0.1], [0.8, 0.2]]), ["real", "comic"])
        >>> out["summary"]
        "misclassified 1 of 2: 1 'comic' as 'real'"
    """
    y_true, probs = _check_classification(files, y_true, probs, classes)
    pred = probs.argmax(axis=1)
    labelled = y_true != UNLABELLED
    wrong = np.flatnonzero(labelled & (pred != y_true))
    confidence = probs[wrong, pred[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:top]
    examples = [
        {"file": str(files[i]), "true": str(classes[y_true[i]]), "pred": str(classes[pred[i]]),
         "confidence": float(probs[i, pred[i]])}
        for i in order
    ]
    summary = _summary(y_true[wrong], pred[wrong], classes, total=int(labelled.sum()))
    return {"count": len(wrong), "total": int(labelled.sum()), "summary": summary, "examples": examples}


def _check_classification(
    files: Sequence[str], y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of the inputs after checking their shapes agree and labels are in range."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    probs = np.asarray(probs, dtype=float)
    n, k = len(files), len(classes)
    if probs.ndim != 2 or probs.shape != (n, k) or len(y_true) != n:
        raise ValueError(
            f"confident_mistakes: expected {n} labels and probs of shape ({n}, {k}) for {n} files "
            f"and {k} classes. Received: len(y_true)={len(y_true)}, probs.shape={probs.shape}"
        )
    bad = (y_true < UNLABELLED) | (y_true >= k)
    if bad.any():
        raise ValueError(
            f"confident_mistakes: y_true must hold class indices in [0, {k}) or -1 for unlabelled. "
            f"Received: y_true containing {int(y_true[bad][0])}"
        )
    return y_true, probs


def _summary(true: np.ndarray, pred: np.ndarray, classes: Sequence[str], *, total: int) -> str:
    """E.g. "misclassified 3 of 500: 2 'comic' as 'real', 1 'real' as 'comic'"; pairs past the 5th are summed."""
    head = f"misclassified {len(true)} of {total}"
    if not len(true):
        return head
    k = len(classes)
    pairs, counts = np.unique(true * k + pred, return_counts=True)
    order = np.argsort(-counts, kind="stable")  # most common first; ties by (true, pred) index
    shown = order[:SUMMARY_PAIRS]
    parts = [f"{counts[i]} '{classes[pairs[i] // k]}' as '{classes[pairs[i] % k]}'" for i in shown]
    rest = int(counts[order[SUMMARY_PAIRS:]].sum())
    if rest:
        parts.append(f"{rest} more in {len(order) - SUMMARY_PAIRS} other pairs")
    return f"{head}: " + ", ".join(parts)


def regression_errors(
    files: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray, *, top: int = 20
) -> dict:
    """The images with the largest absolute error of a regression task, worst first.

    Args:
        files: (N,) image paths, in the order of ``y_true`` and ``y_pred``.
        y_true: (N,) true values; NaN = unlabelled, excluded.
        y_pred: (N,) predicted values.
        top: how many images to return.

    Returns:
        ``{"count": labelled images, "examples": [...]}`` where each example is
        ``{"file", "true", "pred", "error"}`` with ``error = pred - true`` (signed, so over- and
        under-estimates are told apart), sorted by ``abs(error)``, largest first.

    Example:
        >>> regression_errors(["a.png", "b.png"], np.array([20.0, 30.0]), np.array([21.0, 25.0]), top=1)
        {'examples': [{'file': 'b.png', 'true': 30.0, 'pred': 25.0, 'error': -5.0}], 'count': 2}
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if not len(files) == len(y_true) == len(y_pred):
        raise ValueError(
            "regression_errors: files, y_true and y_pred must have the same length. "
            f"Received: {len(files)} files, len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    labelled = np.flatnonzero(~np.isnan(y_true))
    error = y_pred[labelled] - y_true[labelled]
    order = labelled[np.argsort(-np.abs(error), kind="stable")][:top]
    examples = [
        {"file": str(files[i]), "true": float(y_true[i]), "pred": float(y_pred[i]),
         "error": float(y_pred[i] - y_true[i])}
        for i in order
    ]
    return {"examples": examples, "count": len(labelled)}


def write_mistakes_csv(path: str | Path, examples: Sequence[dict]) -> Path:
    """Write the examples of :func:`confident_mistakes` or :func:`regression_errors` as CSV.

    The columns are the examples' keys in order of first appearance (``file,true,pred`` when
    there are no examples); floats are written with 6 significant digits.

    Args:
        path: the CSV file to write (parent folders created).
        examples: the ``"examples"`` list of either function.

    Returns:
        The path written.

    Example:
        >>> write_mistakes_csv("run/mistakes/glasses.csv", out["examples"])  # doctest: +SKIP
    """
    columns = list(dict.fromkeys(key for row in examples for key in row)) or ["file", "true", "pred"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in examples:
            writer.writerow({key: _cell(value) for key, value in row.items()})
    return path


def _cell(value: object) -> object:
    """Floats shortened to 6 significant digits; everything else as is."""
    return f"{value:.6g}" if isinstance(value, float) else value

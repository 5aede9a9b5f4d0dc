"""Per-task metrics: classification (accuracy, macro-F1, majority baseline, accuracy where drawn)
and regression (MAE, RMSE, MAPE, the mean-predictor baseline).

Labels are float with NaN for "no label"; classification labels are class indices. A task with
labels that are not drawn in some images (see ``toonlab.data.visibility``) also gets
``accuracy_visible`` (accuracy on the images where it is drawn), ``n_visible`` and ``drawn_fraction``
(``n_visible / n_test``). Every task gets ``beats_baseline``: False when its test accuracy is not above
the majority-class baseline (regression: its MAE not below the mean predictor's), None when unknown.

Example:
    >>> import numpy as np
    >>> from toonlab.data.samples import TaskSpec
    >>> m = regression_metrics(np.array([10., 20.]), np.array([11., 18.]), TaskSpec("age", "regression", center=15.))
    >>> m["mae"], m["rmse"] > m["mae"], round(m["mape"], 3)
    (1.5, True, 0.101)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from toonlab.data.samples import TaskSpec


def majority_classes(labels: np.ndarray, tasks: dict[str, TaskSpec]) -> dict[str, int]:
    """The most frequent class of each classification column (ties: lowest index); the baseline's guess."""
    out = {}
    for j, (name, spec) in enumerate(tasks.items()):
        if spec.is_regression:
            continue
        y = labels[:, j]
        y = y[~np.isnan(y)].astype(np.int64)
        out[name] = int(np.bincount(y, minlength=max(1, spec.num_classes)).argmax()) if len(y) else 0
    return out


def macro_f1(y: np.ndarray, pred: np.ndarray, num_classes: int) -> float:
    """Unweighted mean F1 over the classes that occur in ``y`` or ``pred`` (sklearn's 'macro')."""
    if len(y) == 0:
        return float("nan")
    k = max(num_classes, int(max(y.max(), pred.max())) + 1)
    tp = np.bincount(y[y == pred], minlength=k).astype(float)
    true_n, pred_n = np.bincount(y, minlength=k), np.bincount(pred, minlength=k)
    present = (true_n + pred_n) > 0
    f1 = 2 * tp[present] / (true_n[present] + pred_n[present])
    return float(f1.mean())


def task_metrics(
    probs: np.ndarray, labels: np.ndarray, hidden: np.ndarray, spec: TaskSpec, *, majority: int
) -> dict[str, Any]:
    """Metrics of one classification task on one split.

    Args:
        probs: (N, K) predicted class probabilities.
        labels: (N,) true class indices (NaN = unlabelled, excluded).
        hidden: (N,) True where the label is not drawn in the image.
        spec: the task.
        majority: the training split's most frequent class (the baseline always predicts it).
    """
    mask = ~np.isnan(labels)
    y = labels[mask].astype(np.int64)
    pred = probs[mask].argmax(1) if len(probs) else np.zeros(0, np.int64)
    correct = pred == y
    out: dict[str, Any] = {
        "kind": spec.kind,
        "num_classes": spec.num_classes,
        "accuracy": float(correct.mean()) if len(y) else float("nan"),
        "macro_f1": macro_f1(y, pred, spec.num_classes),
        "n_test": int(mask.sum()),
        "baseline_accuracy": float((y == majority).mean()) if len(y) else float("nan"),
        "baseline_macro_f1": macro_f1(y, np.full_like(y, majority), spec.num_classes),
    }
    out["beats_baseline"] = beats_baseline(out)
    return {**out, **drawn_metrics(correct, ~hidden[mask])}


def drawn_metrics(correct: np.ndarray, drawn: np.ndarray) -> dict[str, Any]:
    """Accuracy where drawn, how many images that is and their share; {} when every label is drawn.

    Example:
        >>> drawn_metrics(np.array([True, False, True, True]), np.array([True, False, True, False]))
        {'accuracy_visible': 1.0, 'n_visible': 2, 'drawn_fraction': 0.5}
    """
    if drawn.all():
        return {}
    return {"accuracy_visible": float(correct[drawn].mean()) if drawn.any() else float("nan"),
            "n_visible": int(drawn.sum()), "drawn_fraction": float(drawn.mean())}


def regression_metrics(values: np.ndarray, labels: np.ndarray, spec: TaskSpec) -> dict[str, Any]:
    """MAE, RMSE and MAPE (a fraction; over non-zero targets) of one regression task, with the
    baseline MAE of always predicting the training mean (``spec.center``)."""
    mask = ~np.isnan(labels)
    y, p = labels[mask].astype(np.float64), values[mask].astype(np.float64)
    err = p - y
    nonzero = y != 0
    nan = float("nan")
    out: dict[str, Any] = {
        "kind": spec.kind,
        "mae": float(np.abs(err).mean()) if len(y) else nan,
        "rmse": float(math.sqrt((err ** 2).mean())) if len(y) else nan,
        "mape": float(np.abs(err[nonzero] / y[nonzero]).mean()) if nonzero.any() else nan,
        "n_test": int(mask.sum()),
        "baseline_mae": float(np.abs(spec.center - y).mean()) if len(y) else nan,
    }
    out["beats_baseline"] = beats_baseline(out)
    return out


def beats_baseline(m: dict[str, Any]) -> bool | None:
    """Whether a task's test number beats its baseline: accuracy above always predicting the training
    split's majority class, or MAE below always predicting the training mean. None when either is unknown.

    Example:
        >>> beats_baseline({"kind": "classification", "accuracy": 0.5, "baseline_accuracy": 0.5})
        False
    """
    if m.get("kind") == "regression":
        value, base = m.get("mae"), m.get("baseline_mae")
        return None if not _known(value, base) else bool(value < base)
    value, base = m.get("accuracy"), m.get("baseline_accuracy")
    return None if not _known(value, base) else bool(value > base)


def _known(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def mean_accuracy(tasks: dict[str, dict]) -> float:
    """Unweighted mean of the classification tasks' accuracies."""
    values = [m["accuracy"] for m in tasks.values() if m.get("kind") == "classification"]
    return float(np.mean(values)) if values else float("nan")

"""Per-task metrics from predicted probabilities: accuracy, majority baseline, visible-only accuracy."""

from __future__ import annotations

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.train.losses import IGNORE


def majority_classes(labels: np.ndarray, tasks: dict[str, TaskSpec]) -> dict[str, int]:
    """The most frequent class of each task column (ties: lowest index); the majority baseline's guess."""
    out = {}
    for j, (name, spec) in enumerate(tasks.items()):
        y = labels[:, j]
        y = y[y != IGNORE]
        out[name] = int(np.bincount(y, minlength=max(1, spec.num_classes)).argmax()) if len(y) else 0
    return out


def task_metrics(
    probs: np.ndarray, labels: np.ndarray, hidden: np.ndarray, spec: TaskSpec, *, majority: int
) -> dict[str, float | int | str]:
    """Metrics of one classification task on one split.

    Args:
        probs: (N, K) predicted class probabilities.
        labels: (N,) true class indices (-1 = unlabelled, excluded).
        hidden: (N,) True where the label is not visible in the image.
        spec: the task.
        majority: the training split's most frequent class (the baseline always predicts it).
    """
    mask = labels != IGNORE
    pred = probs.argmax(1)
    y = labels[mask]
    correct = pred[mask] == y
    out: dict[str, float | int | str] = {
        "kind": spec.kind,
        "num_classes": spec.num_classes,
        "accuracy": float(correct.mean()) if len(y) else float("nan"),
        "n_test": int(mask.sum()),
        "baseline_accuracy": float((y == majority).mean()) if len(y) else float("nan"),
    }
    visible = ~hidden[mask]
    if not visible.all():
        out["accuracy_visible"] = float(correct[visible].mean()) if visible.any() else float("nan")
        out["n_visible"] = int(visible.sum())
    return out


def mean_accuracy(tasks: dict[str, dict]) -> float:
    """Unweighted mean of per-task accuracies."""
    values = [m["accuracy"] for m in tasks.values() if m.get("kind") == "classification"]
    return float(np.mean(values)) if values else float("nan")

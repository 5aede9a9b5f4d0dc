"""Multi-task loss: a weighted sum of per-task losses over the images that have a label.

Targets are one float column per task; NaN means "no label" and is ignored. Classification
columns hold class indices (cross-entropy on logits); regression columns hold values
(mean squared error in units of the task's ``scale``, the training split's standard deviation,
so a regression head and a 10-class head start at comparable loss sizes). With
``train.undrawn_labels=skip``, :func:`training_labels` turns the labels that are not drawn into NaN
for the training batches, so the same mask leaves them out.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from toonlab.config import choices_of
from toonlab.data.samples import TaskSpec

MISSING = float("nan")
UNDRAWN = choices_of("train.undrawn_labels")


def labelled(y: torch.Tensor) -> torch.Tensor:
    """Mask of the entries of a target column that hold a label."""
    return ~torch.isnan(y)


def training_labels(labels: np.ndarray, hidden: np.ndarray, undrawn: str = "keep") -> np.ndarray:
    """The labels the training batches read: ``labels`` itself, or with ``undrawn="skip"`` a copy where
    every label that is not drawn (``hidden``) is NaN, so the loss leaves it out.

    Only the training batches use it; validation, test metrics, baselines and splits keep ``labels``.

    Example:
        >>> training_labels(np.array([[1.0, 2.0]]), np.array([[False, True]]), "skip")
        array([[ 1., nan]])
    """
    assert undrawn in UNDRAWN, undrawn  # train.undrawn_labels, checked with the config
    if undrawn == "keep" or not hidden.any():
        return labels
    return np.where(hidden, np.float32(MISSING), labels).astype(labels.dtype, copy=False)


def task_loss(output: torch.Tensor, y: torch.Tensor, spec: TaskSpec, smoothing: float = 0.0) -> torch.Tensor | None:
    """One task's mean loss over its labelled images, or None when none is labelled.

    ``smoothing`` is cross-entropy's label smoothing (classification only).
    """
    mask = labelled(y)
    if not bool(mask.any()):
        return None
    if spec.is_regression:
        return F.mse_loss(output.float()[mask] / spec.scale, y[mask] / spec.scale)
    return F.cross_entropy(output.float(), torch.where(mask, y, -1.0).long(), ignore_index=-1,
                           label_smoothing=smoothing)


def fully_labelled(targets: torch.Tensor) -> bool:
    """True when the batch has images and every one has a label for every task (no NaN), the usual case."""
    return targets.shape[0] > 0 and not bool(torch.isnan(targets).any())


def multitask_loss(
    outputs: dict[str, torch.Tensor],
    targets: torch.Tensor,
    tasks: dict[str, TaskSpec],
    weights: dict[str, float] | None = None,
    smoothing: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted sum of per-task losses.

    A batch with every label present skips the per-task masks, so 18 heads cost a few small ops
    each rather than a dozen; the losses are the same either way.

    Args:
        outputs: ``{task: logits (B, K) | values (B,)}`` from the model.
        targets: (B, T) float; column ``j`` belongs to the ``j``-th task of ``tasks``; NaN = no label.
        tasks: task specs in column order.
        weights: optional per-task multipliers (default 1).
        smoothing: label smoothing of the classification heads (``train.label_smoothing``).

    Returns:
        The total loss and ``{task: loss}`` (unweighted) for every task with a label in the batch.
    """
    if fully_labelled(targets):
        parts = _unmasked_losses(outputs, targets, tasks, smoothing)
    else:
        parts = {name: loss for j, (name, spec) in enumerate(tasks.items())
                 if (loss := task_loss(outputs[name], targets[:, j], spec, smoothing)) is not None}
    if not parts:
        return targets.new_zeros((), dtype=torch.float32), parts
    factors = [(weights or {}).get(name, 1.0) for name in parts]
    return torch.stack(list(parts.values())).mul(targets.new_tensor(factors, dtype=torch.float32)).sum(), parts


def _unmasked_losses(
    outputs: dict[str, torch.Tensor], targets: torch.Tensor, tasks: dict[str, TaskSpec], smoothing: float
) -> dict[str, torch.Tensor]:
    """Each task's mean loss when no label is missing: no masks, and one integer copy of all targets."""
    classes = targets.long()
    parts = {}
    for j, (name, spec) in enumerate(tasks.items()):
        out = outputs[name].float()
        if spec.is_regression:
            parts[name] = F.mse_loss(out / spec.scale, targets[:, j] / spec.scale)
        else:
            parts[name] = F.cross_entropy(out, classes[:, j], label_smoothing=smoothing)
    return parts

"""Multi-task loss: a weighted sum of per-task losses over the images that have a label.

Targets are one float column per task; NaN means "no label" and is ignored. Classification
columns hold class indices (cross-entropy on logits); regression columns hold values
(mean squared error in units of the task's ``scale``, the training split's standard deviation,
so a regression head and a 10-class head start at comparable loss sizes).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from toonlab.data.samples import TaskSpec

MISSING = float("nan")


def labelled(y: torch.Tensor) -> torch.Tensor:
    """Mask of the entries of a target column that hold a label."""
    return ~torch.isnan(y)


def task_loss(output: torch.Tensor, y: torch.Tensor, spec: TaskSpec) -> torch.Tensor | None:
    """One task's mean loss over its labelled images, or None when none is labelled."""
    mask = labelled(y)
    if not bool(mask.any()):
        return None
    if spec.is_regression:
        return F.mse_loss(output.float()[mask] / spec.scale, y[mask] / spec.scale)
    return F.cross_entropy(output.float(), torch.where(mask, y, -1.0).long(), ignore_index=-1)


def multitask_loss(
    outputs: dict[str, torch.Tensor],
    targets: torch.Tensor,
    tasks: dict[str, TaskSpec],
    weights: dict[str, float] | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted sum of per-task losses.

    Args:
        outputs: ``{task: logits (B, K) | values (B,)}`` from the model.
        targets: (B, T) float; column ``j`` belongs to the ``j``-th task of ``tasks``; NaN = no label.
        tasks: task specs in column order.
        weights: optional per-task multipliers (default 1).

    Returns:
        The total loss and ``{task: loss}`` (unweighted) for every task with a label in the batch.
    """
    parts: dict[str, torch.Tensor] = {}
    total = targets.new_zeros((), dtype=torch.float32)
    for j, (name, spec) in enumerate(tasks.items()):
        loss = task_loss(outputs[name], targets[:, j], spec)
        if loss is None:
            continue
        parts[name] = loss
        total = total + (weights or {}).get(name, 1.0) * loss
    return total, parts

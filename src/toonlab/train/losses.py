"""Multi-task loss: a weighted sum of per-task losses; label -1 means "no label" and is ignored."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from toonlab.data.samples import TaskSpec

IGNORE = -1


def multitask_loss(
    outputs: dict[str, torch.Tensor],
    targets: torch.Tensor,
    tasks: dict[str, TaskSpec],
    weights: dict[str, float] | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sum of per-task cross-entropies.

    Args:
        outputs: ``{task: logits (B, K)}`` from the model.
        targets: (B, T) int64; column ``j`` belongs to the ``j``-th task of ``tasks``.
        tasks: task specs in column order.
        weights: optional per-task multipliers (default 1).

    Returns:
        The total loss and ``{task: loss}`` (unweighted, detached-free tensors).
    """
    parts: dict[str, torch.Tensor] = {}
    total = targets.new_zeros((), dtype=torch.float32)
    for j, name in enumerate(tasks):
        y = targets[:, j]
        if bool((y == IGNORE).all()):
            continue
        parts[name] = F.cross_entropy(outputs[name].float(), y, ignore_index=IGNORE)
        total = total + (weights or {}).get(name, 1.0) * parts[name]
    return total, parts

"""The one model anatomy every toonlab model shares: ``forward_features`` → neck → heads by task.

``forward`` returns ``{task: logits (B, K)}`` for classification tasks and ``{task: values (B,)}``
for regression tasks. Heads live in a ``ModuleDict`` keyed by task name, so a checkpoint's keys
say which head is which.
"""

from __future__ import annotations

import torch
from torch import nn

from toonlab.data.samples import TaskSpec
from toonlab.models.blocks import dense_stack


class MultiHeadNet(nn.Module):
    """A backbone with a shared dense neck and one linear head per task.

    A branched backbone (``backbone.branches`` > 0, see ``model.branch_stages``) hands over one block of
    features per task, in task order; each task then has its own neck (``branch_neck_width`` wide)
    on its own block, so no head reads another task's branch. The necks run side by side as one
    grouped stack (:class:`~toonlab.models.blocks.GroupedLinear`): the neck's output holds one block
    of ``head_in`` units per task, in task order.

    Args:
        backbone: a module with ``forward_features(x) -> (B, F)`` and ``num_features``.
        tasks: task name → spec; each classification task gets ``num_classes`` logits.
        neck_depth, neck_width: hidden dense layers shared by all heads.
        activation: activation of the neck.
        dropout: dropout before the heads.
        norm_position: batch norm of the neck 'before_activation' or 'after_activation'.
        branch_neck_width: width of each task's neck on a branched backbone (default ``neck_width``).
    """

    def __init__(
        self,
        backbone: nn.Module,
        tasks: dict[str, TaskSpec],
        *,
        neck_depth: int = 1,
        neck_width: int = 256,
        activation: str = "relu",
        dropout: float = 0.0,
        norm_position: str = "before_activation",
        branch_neck_width: int | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.branches = int(getattr(backbone, "branches", 0) or 0)
        if self.branches and self.branches != len(tasks):
            raise ValueError(f"The backbone has {self.branches} task branches but {len(tasks)} tasks were given.")
        stack = {"activation": activation, "dropout": 0.0, "norm_position": norm_position}
        if self.branches:  # every task's neck side by side, run as one grouped layer
            width = [branch_neck_width or neck_width] * neck_depth
            self.neck, self.head_in = dense_stack(backbone.num_features, widths=width, groups=self.branches, **stack)
        else:
            self.neck, self.head_in = dense_stack(backbone.num_features, widths=[neck_width] * neck_depth, **stack)
        self.head_drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.heads = nn.ModuleDict()
        self.reset_classifier(tasks)

    @property
    def task_names(self) -> list[str]:
        return list(self.heads.keys())

    def reset_classifier(self, tasks: dict[str, TaskSpec]) -> None:
        """Replace all heads with fresh ones for ``tasks`` (on a branched backbone: the same tasks, in order)."""
        if self.branches and self.heads and list(tasks) != self.task_names:
            raise ValueError(f"A branched network has one branch per task {self.task_names}; "
                             f"it cannot take other tasks {list(tasks)}.")
        self.heads = nn.ModuleDict({name: _head(self.head_in, spec) for name, spec in tasks.items()})

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters every task's output depends on: a branched backbone's stem, else backbone and neck.
        Empty for a single-task network."""
        if len(self.heads) < 2:
            return []
        if self.branches:
            return [p for stage in self.backbone.stages[: self.backbone.stem_stages] for p in stage.parameters()]
        return [*self.backbone.parameters(), *self.neck.parameters()]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images → shared feature vector (before the neck)."""
        return self.backbone.forward_features(x)

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Shared features → ``{task: logits}``."""
        if self.branches:
            parts = self.head_drop(self.neck(features)).unflatten(1, (self.branches, -1))
            return {name: head(parts[:, i]) for i, (name, head) in enumerate(self.heads.items())}
        z = self.head_drop(self.neck(features))
        if _can_fuse(self.heads):  # one matmul for all heads instead of one small one each (~3 % of a 64 px step)
            return _fused_heads(self.heads, z)
        return {name: head(z) for name, head in self.heads.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.forward_head(self.forward_features(x))


class RegressionHead(nn.Linear):
    """A linear layer to one output, read as ``center + scale * z``: it starts near the training mean
    and learns in units of the training spread. ``center`` and ``scale`` are buffers (saved, not learned)."""

    def __init__(self, in_features: int, *, center: float = 0.0, scale: float = 1.0) -> None:
        super().__init__(in_features, 1)
        self.register_buffer("center", torch.tensor(float(center)))
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.center + self.scale * super().forward(x).squeeze(1)


def _can_fuse(heads: nn.ModuleDict) -> bool:
    """Several heads that are all plain biased ``nn.Linear`` layers without hooks (the explain tools hook
    single heads; a DropConnect head is a parametrized subclass): they can run as one linear layer."""
    return len(heads) > 1 and all(type(h) is nn.Linear and h.bias is not None and not h._forward_hooks
                                  and not h._forward_pre_hooks for h in heads.values())


def _fused_heads(heads: nn.ModuleDict, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{task: head(z)}`` computed as one linear layer of the heads' weights stacked, then split by task."""
    layers = list(heads.values())
    weight, bias = torch.cat([h.weight for h in layers]), torch.cat([h.bias for h in layers])
    logits = nn.functional.linear(z, weight, bias).split([h.out_features for h in layers], dim=1)
    return dict(zip(heads, logits))


def _head(in_features: int, spec: TaskSpec) -> nn.Module:
    if spec.is_regression:
        return RegressionHead(in_features, center=spec.center, scale=spec.scale)
    return nn.Linear(in_features, spec.num_classes)

"""Optimizers and learning-rate schedules from the train config.

Every schedule is stepped once per training step, so a resumed run (even mid-epoch)
continues the same curve: ``step`` and ``exponential`` are written per step as
functions of the epoch the step belongs to.
"""

from __future__ import annotations

from typing import Iterable

import torch

from toonlab.config import TrainConfig
from toonlab.errors import ToonlabError

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("none", "step", "exponential", "cosine", "onecycle")


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam (default), AdamW, SGD (momentum, optional Nesterov) or RMSProp at ``cfg.lr``, with weight decay."""
    params = trainable(params)
    name = cfg.optimizer.lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        if cfg.nesterov and cfg.momentum <= 0:
            raise ToonlabError(f"train.nesterov needs train.momentum > 0. Received: momentum={cfg.momentum}")
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    raise ToonlabError(f"train.optimizer must be one of {', '.join(OPTIMIZERS)}. Received: {cfg.optimizer!r}")


def trainable(params: Iterable) -> list:
    """Parameters (or param groups) without frozen ones: frozen biases / weights never reach the optimizer.

    A pretrained backbone that gradual unfreezing thaws later is not frozen yet when this runs.
    """
    items = list(params)
    if items and isinstance(items[0], dict):
        groups = [{**g, "params": [p for p in g["params"] if p.requires_grad]} for g in items]
        return [g for g in groups if g["params"]]
    return [p for p in items if p.requires_grad]


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, *, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-step schedule over ``cfg.epochs`` epochs, or None for a constant rate."""
    per_epoch = max(1, steps_per_epoch)
    total = max(1, cfg.epochs * per_epoch)
    kind = cfg.schedule
    if kind == "none":
        return None
    if kind == "step":
        if cfg.step_size < 1:
            raise ToonlabError(f"train.step_size must be at least 1 epoch. Received: {cfg.step_size}")
        size, gamma = cfg.step_size * per_epoch, cfg.gamma
        return torch.optim.lr_scheduler.LambdaLR(optimizer, _StepDecay(size, gamma))
    if kind == "exponential":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, _StepDecay(per_epoch, cfg.gamma))
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if kind == "onecycle":
        peaks = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]  # each group's own rate
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peaks, total_steps=total, pct_start=0.2)
    raise ToonlabError(f"train.schedule must be one of {', '.join(SCHEDULES)}. Received: {kind!r}")


class _StepDecay:
    """lr factor ``gamma ** (step // every)``: 'step' decays every step_size epochs, 'exponential' every epoch."""

    def __init__(self, every: int, gamma: float) -> None:
        self.every, self.gamma = every, gamma

    def __call__(self, step: int) -> float:
        return self.gamma ** (step // self.every)

"""Optimizers and learning-rate schedules from the train config."""

from __future__ import annotations

from typing import Iterable

import torch

from toonlab.config import TrainConfig
from toonlab.errors import ToonlabError

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "onecycle")


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam (default), AdamW or SGD with momentum 0.9, at ``cfg.lr`` and ``cfg.weight_decay``."""
    name = cfg.optimizer.lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    raise ToonlabError(f"train.optimizer must be one of {', '.join(OPTIMIZERS)}. Received: {cfg.optimizer!r}")


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, *, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-step schedule over ``cfg.epochs`` epochs, or None for a constant rate."""
    total = max(1, cfg.epochs * steps_per_epoch)
    if cfg.schedule == "none":
        return None
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=total, pct_start=0.2)
    raise ToonlabError(f"train.schedule must be one of {', '.join(SCHEDULES)}. Received: {cfg.schedule!r}")

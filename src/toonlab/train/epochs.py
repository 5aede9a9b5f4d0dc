"""How many epochs a network trains: as given, following the data size, or fitted to a time budget.

- ``train.epochs: N`` trains at most N epochs (early stopping may end it sooner).
- ``train.epochs: 0`` follows the data size: about :data:`AUTO_STEPS` optimizer steps, so a small set
  gets more passes than a large one, within :data:`AUTO_MIN` .. :data:`AUTO_MAX` epochs.
- ``train.budget: 10m`` times a few training steps and a validation batch on a throw-away copy of the
  network, then chooses the largest number of epochs whose estimated time fits in what is left of
  the budget. The learning-rate schedule is built for that number, so it keeps its shape. A given
  ``train.epochs`` stays the upper limit; with ``epochs: 0`` the limit is :data:`BUDGET_MAX_FACTOR`
  times the data-size rule (``fill``), or the rule itself when the budget may only cut it.

Example:
    >>> auto_epochs(7000, 64)
    27
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch

from toonlab.budget import format_duration
from toonlab.runtime import Runtime

log = logging.getLogger(__name__)

AUTO_STEPS = 3000  # optimizer steps the data-size rule aims at
# Epochs: at least 15 passes for a large set; at most 27 for a small one, which keeps the defaults within the
# wall time of a plain 12-epoch float32 script (docs/defaults.md: at 30, toonlab took 0.85-1.02 of its time).
AUTO_MIN, AUTO_MAX = 15, 27
BUDGET_MAX_FACTOR = 4  # with a budget and epochs 0: at most this many times the data-size rule
SAFETY = 1.1  # epochs are planned on estimated time x this (later epochs run a little slower than the probe)
PROBE_WARMUP, PROBE_STEPS, PROBE_SECONDS = 2, 8, 5.0  # steps run untimed, steps timed at most, time cap


@dataclass
class EpochPlan:
    """The chosen number of epochs and why, recorded in the checkpoint and in metrics.json."""

    epochs: int
    rule: str  # 'given', 'data size' or 'budget'
    epoch_s: float | None = None  # estimated seconds per epoch (budget only)
    seconds: float | None = None  # the time this network had (budget only)

    def describe(self) -> str:
        if self.rule == "budget":
            return (f"budget: {format_duration(self.seconds or 0)} for this network, an epoch takes about "
                    f"{self.epoch_s:.1f}s (timed), so {_count(self.epochs)}")
        return f"{_count(self.epochs)} ({self.rule})"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _count(epochs: int) -> str:
    return f"{epochs} epoch" + ("" if epochs == 1 else "s")


def auto_epochs(n_train: int, batch_size: int) -> int:
    """Epochs of the data-size rule: about ``AUTO_STEPS`` steps, clipped to ``AUTO_MIN..AUTO_MAX``."""
    steps_per_epoch = max(1, math.ceil(n_train / max(1, batch_size)))
    return int(min(AUTO_MAX, max(AUTO_MIN, round(AUTO_STEPS / steps_per_epoch))))


def plan_epochs(epochs: int, *, n_train: int, batch_size: int, seconds: float | None = None,
                epoch_seconds: Callable[[], float] | None = None, fill: bool = True) -> EpochPlan:
    """The plan for one network.

    Args:
        epochs: ``train.epochs`` (0 = follow the data size).
        n_train: training images.
        batch_size: images per step.
        seconds: the time this network may take (None = no budget).
        epoch_seconds: estimates one epoch's seconds (called only with a budget).
        fill: with a budget and ``epochs`` 0, train up to :data:`BUDGET_MAX_FACTOR` times the data-size
            rule to use the budget (``train.budget_fill``); False: the rule is the most.
    """
    if seconds is None:
        return EpochPlan(epochs, "given") if epochs else EpochPlan(auto_epochs(n_train, batch_size), "data size")
    ceiling = epochs or (BUDGET_MAX_FACTOR if fill else 1) * auto_epochs(n_train, batch_size)
    per_epoch = epoch_seconds()
    fitted = int(max(0.0, seconds) // (per_epoch * SAFETY))
    if fitted < 1:
        log.warning("The budget leaves %s for this network but one epoch takes about %.1fs: training 1 epoch, "
                    "which will run over. Give a larger --budget, a smaller --image-size or --limit.",
                    format_duration(max(0.0, seconds)), per_epoch)
    return EpochPlan(max(1, min(ceiling, fitted)), "budget", round(per_epoch, 2), round(seconds, 1))


def measure_epoch(model: torch.nn.Module, make_optimizer: Callable[[torch.nn.Module], Any],
                  step: Callable[[torch.nn.Module, Any, torch.Tensor, torch.Tensor], Any],
                  train_batches: Any, val_batches: Any, runtime: Runtime) -> float:
    """Seconds one epoch should take: a few training steps and a validation batch on a copy of ``model``.

    The copy and its optimizer are thrown away and torch's random state is restored, so the run that
    follows is the same as without the probe.
    """
    rng = torch.get_rng_state()
    probe = copy.deepcopy(model)
    sync = torch.cuda.synchronize if runtime.device.type == "cuda" else (lambda: None)
    try:
        per_step = _time_steps(probe, make_optimizer(probe), step, train_batches, sync)
        per_val = _time_validation(probe, val_batches, runtime, sync)
    finally:
        torch.set_rng_state(rng)
    return per_step * len(train_batches) + per_val * len(val_batches)


def _time_steps(model: torch.nn.Module, optimizer: Any, step: Callable, batches: Any, sync: Callable) -> float:
    model.train()
    times: list[float] = []
    for i, (x, y) in enumerate(batches):
        if i >= PROBE_WARMUP + PROBE_STEPS or sum(times) > PROBE_SECONDS:
            break
        start = time.perf_counter()
        step(model, optimizer, x, y)
        sync()
        if i >= PROBE_WARMUP or i + 1 == len(batches):  # a set of 1-2 batches still gets one timing
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] if times else 0.0


@torch.no_grad()
def _time_validation(model: torch.nn.Module, batches: Any, runtime: Runtime, sync: Callable) -> float:
    model.eval()
    times: list[float] = []
    for i, (x, _) in enumerate(batches):
        if i >= 3:
            break
        start = time.perf_counter()
        with runtime.autocast():
            model(x)
        sync()
        times.append(time.perf_counter() - start)
    return min(times) if times else 0.0

"""Catching divergence: non-finite losses and gradients, rollback snapshots, and the error that explains them.

A step whose loss or gradient is not finite raises :class:`NonFiniteError` before the
optimizer touches the weights; a finite loss that runs away (:mod:`toonlab.train.runaway`) raises
:class:`RunawayLossError`. Both are a :class:`StepDiverged`: :func:`toonlab.train.loop.fit` then
restores the last :class:`Snapshot` (taken at the start of each epoch), lowers every learning rate
with :func:`lower_lr` and retries the epoch; after ``train.max_rollbacks`` rollbacks it raises
:class:`DivergenceError`, whose message lists the likely causes (seed 000's NaN checklist).

Example:
    >>> import torch
    >>> check_loss(torch.tensor(1.0), {"hair": torch.tensor(1.0)})  # finite: returns quietly
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from toonlab.errors import ToonlabError
from toonlab.train.distributed import every_process

SHARED = "shared layers"
LIKELY_CAUSES = (
    "the learning rate is too high (lower train.lr, or try an adaptive optimizer: train.optimizer=adam)",
    "exploding gradients (lower train.lr or clip gradients)",
    "bad input: corrupt or unnormalised images (check the data and the run's skipped.csv)",
    "a faulty loss: labels out of range for a head's classes",
)


class StepDiverged(ToonlabError):
    """A training step showed divergence in ``heads`` (per-head ``losses`` of that step); ``fit`` rolls back."""

    def __init__(self, what: str, heads: list[str], losses: dict[str, float]) -> None:
        self.what, self.heads, self.losses = what, heads, losses
        super().__init__(f"{self.summary()}; per-head losses: {self.loss_text()}.")

    def summary(self) -> str:
        """'Non-finite loss in head(s) 'size'', for the rollback warning."""
        raise NotImplementedError

    def problem(self) -> str:
        """'the loss of head(s) 'size' is not finite', for the final error."""
        raise NotImplementedError

    def loss_text(self) -> str:
        return ", ".join(f"{name}={value:.4g}" for name, value in self.losses.items())


class NonFiniteError(StepDiverged):
    """One training step produced a non-finite loss or gradient; the weights were not updated."""

    def summary(self) -> str:
        return f"Non-finite {self.what} in {describe_heads(self.heads)}"

    def problem(self) -> str:
        return f"the {self.what} of {describe_heads(self.heads)} is not finite"


class RunawayLossError(StepDiverged):
    """The loss of ``heads`` stayed far above its reference (``what`` says how far and how long)."""

    def summary(self) -> str:
        return f"Runaway loss in {describe_heads(self.heads)} ({self.what})"

    def problem(self) -> str:
        return f"the loss of {describe_heads(self.heads)} ran away ({self.what})"


class DivergenceError(ToonlabError):
    """Training kept diverging after ``train.max_rollbacks`` rollbacks; the message says where and why."""


def check_loss(loss: torch.Tensor, parts: dict[str, torch.Tensor]) -> None:
    """Raise :class:`NonFiniteError` naming the heads whose loss is NaN or infinite.

    With several processes training one model it raises on all of them when any has a bad loss,
    so that all roll back together.
    """
    finite = bool(torch.isfinite(loss))  # one sync per step; the heads are only looked at on failure
    if every_process(finite, loss.device):
        return
    losses = _values(parts)
    if finite:
        raise NonFiniteError("loss on another process", [], losses)
    raise NonFiniteError("loss", [name for name, value in losses.items() if not math.isfinite(value)], losses)


def check_gradients(model: nn.Module, parts: dict[str, torch.Tensor]) -> None:
    """Raise :class:`NonFiniteError` naming the heads (or the shared layers) with a non-finite gradient.

    A shared layer's gradient mixes every head's; the per-head losses in the message hint at the culprit.
    """
    named = [(n, p.grad) for n, p in model.named_parameters() if p.grad is not None]
    if not named or bool(torch.isfinite(torch.stack([g.sum(dtype=torch.float32) for _, g in named]).sum())):
        return  # a NaN or infinity anywhere makes the sum non-finite: one cheap pass (an inf-norm costs 9x)
    heads = list(dict.fromkeys(_owner(n) for n, g in named if not bool(torch.isfinite(g).all())))
    if heads:  # else every gradient is finite and only their sum overflowed
        raise NonFiniteError("gradient", heads, _values(parts))


def describe_heads(heads: list[str]) -> str:
    """'head(s) 'color', 'size'' or 'the shared layers' for messages."""
    names = [h for h in heads if h != SHARED]
    parts = [f"head(s) {', '.join(repr(h) for h in names)}"] if names else []
    if SHARED in heads or not heads:
        parts.append("the shared layers (feeding every head)")
    return " and ".join(parts)


def divergence_message(bad: StepDiverged, *, epoch: int, step: int, steps: int, rollbacks: int,
                       lr: float) -> str:
    """The sentence a user sees when training gives up: where, which heads, what to try."""
    causes = "; ".join(f"({chr(97 + i)}) {c}" for i, c in enumerate(LIKELY_CAUSES))
    tried = (f"after {rollbacks} rollback(s), each lowering the learning rate (train.max_rollbacks={rollbacks})"
             if rollbacks else "and train.max_rollbacks=0 allows no rollback")
    return (f"Training diverged at epoch {epoch}, step {step} of {steps}: {bad.problem()} "
            f"(per-head losses: {bad.loss_text()}), {tried}. "
            f"Likely causes: {causes}. Received: lr={lr:g}.")


class Snapshot:
    """An in-memory deep copy of a training state (see ``Fit.training_state``) to roll back to.

    Taken at the start of every epoch: for the default 0.5M-parameter CNN with Adam's state
    (~6 MB) a copy costs about 15 ms on CPU, and restoring one about as much.
    """

    def __init__(self, state: dict[str, Any]) -> None:
        self._state = copy.deepcopy(state)

    @property
    def step(self) -> int:
        return int(self._state.get("step", 0))

    def state(self) -> dict[str, Any]:
        """A fresh copy: ``Optimizer.load_state_dict`` keeps references, which training would overwrite."""
        return copy.deepcopy(self._state)


def lower_lr(optimizer: torch.optim.Optimizer, scheduler: Any, factor: float) -> tuple[float, float]:
    """Multiply every learning rate by ``factor``, schedules included; returns (old, new) of group 0."""
    old = optimizer.param_groups[0]["lr"]
    for group in optimizer.param_groups:
        for key in ("lr", "initial_lr", "max_lr", "min_lr"):  # the last three drive OneCycleLR / LambdaLR
            if key in group:
                group[key] = group[key] * factor
    if scheduler is not None and hasattr(scheduler, "base_lrs"):
        scheduler.base_lrs = [lr * factor for lr in scheduler.base_lrs]
        scheduler._last_lr = [g["lr"] for g in optimizer.param_groups]  # what get_last_lr() reports
    return old, optimizer.param_groups[0]["lr"]


def _values(parts: dict[str, torch.Tensor]) -> dict[str, float]:
    return {name: float(part.detach()) for name, part in parts.items()}


def _owner(param_name: str) -> str:
    """'heads.color.weight' -> 'color' (also under DDP's 'module.'); anything else -> the shared layers."""
    parts = param_name.removeprefix("module.").split(".")
    return parts[1] if parts[0] == "heads" and len(parts) > 2 else SHARED

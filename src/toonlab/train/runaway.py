"""Catching a finite divergence: a training loss that runs away far above where it should be.

A learning rate far too high (``--train.lr=1e6`` with Adam) need not give a NaN: the loss can
climb to 1e14 and stay finite while accuracy sits at chance. :class:`RunawayWatch` looks at each
step's per-head training loss (unweighted, so ``train.loss_weights`` and ``train.task_balance``
do not move it) and compares it with the head's *reference*: the larger of

* the loss of guessing: ``log K`` for a head of K classes (guessing uniformly; never below the
  loss of guessing the class frequencies, their entropy, nor below the best constant guess
  under label smoothing), or 1 for a regression head (the mean squared error, in units of its
  spread, of predicting the mean), and
* the head's loss at the first step this ``fit`` took (an unusual initialisation, or a
  regression head whose values sit far from 0, starts high).

A step is *far off* when some head's loss exceeds ``train.diverge_factor`` × its reference. It
raises :class:`~toonlab.train.divergence.RunawayLossError` (rolled back like a NaN) when

* ``train.diverge_steps`` consecutive steps are far off (or a whole epoch's steps, if fewer), or
* an epoch ends on far-off steps and its validation loss is far off too, so a short last epoch
  cannot end with diverged weights and a table of chance-level results.

An epoch whose validation loss is not finite raises :class:`~toonlab.train.divergence.NonFiniteError`
(its last step can blow the weights up after its own loss was measured).

With several processes every process sees the verdict of all (one tiny all-reduce per step).

Example:
    >>> from toonlab.data.samples import TaskSpec
    >>> watch = RunawayWatch({"hair": TaskSpec("hair", classes=("a", "b"))}, factor=10, steps=3)
    >>> watch.update({"hair": torch.tensor(0.7)})  # the first step sets the reference: quiet
    >>> watch.streak
    0
"""

from __future__ import annotations

import math

import torch

from toonlab.data.samples import TaskSpec
from toonlab.train.distributed import every_process
from toonlab.train.divergence import NonFiniteError, RunawayLossError

SHOWN = 3  # heads whose limit a message spells out


def guess_loss(spec: TaskSpec) -> float:
    """A head's loss when it knows nothing: ``log K`` (classification, K >= 2) or 1 (regression)."""
    return 1.0 if spec.is_regression else math.log(max(2, spec.num_classes))


class RunawayWatch:
    """Counts consecutive far-off training steps and raises ``RunawayLossError`` when they are too many.

    Args:
        tasks: the heads' specs (for the loss of guessing).
        factor: ``train.diverge_factor``: how many times its reference a head's loss may reach.
        steps: far-off steps in a row that count as divergence (``train.diverge_steps``).
        epoch_steps: the steps of one epoch, if known: a whole epoch far off is enough.
        device: where the losses live (the processes share their verdicts there).
    """

    def __init__(self, tasks: dict[str, TaskSpec], *, factor: float, steps: int, epoch_steps: int | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.guess = {name: guess_loss(spec) for name, spec in tasks.items()}
        self.device = device
        self.factor, self.steps = float(factor), int(steps)
        self.limit = max(1, min(self.steps, epoch_steps or self.steps))
        self.reference: dict[str, float] = {}
        self.streak = 0

    def update(self, parts: dict[str, torch.Tensor]) -> None:
        """Look at one step's per-head losses; raise after ``steps`` far-off steps in a row.

        Every process must call it at every step, even with no labelled image in its part of the batch.
        """
        values = dict(zip(parts, torch.stack([p.detach().float() for p in parts.values()]).tolist())) if parts else {}
        for name, value in values.items():  # a head's first labelled step sets its reference
            self.reference.setdefault(name, max(self.guess.get(name, 1.0), value))
        far = self.far_heads(values)
        if every_process(not far, self.device):
            self.streak = 0
            return
        self.streak += 1
        if self.streak >= self.limit:
            raise RunawayLossError(self._what(far, f"for {self.streak} step(s) in a row"), far, values)

    def check_epoch_end(self, logs: dict[str, float]) -> None:
        """After validation: a non-finite validation loss, or an epoch that ended on far-off steps with a
        far-off validation loss, means the epoch's weights diverged."""
        values = {name: logs[f"val_loss/{name}"] for name in self.guess if f"val_loss/{name}" in logs}
        broken = [name for name, value in values.items() if not math.isfinite(value)]
        if broken:
            raise NonFiniteError("validation loss", broken, values)
        far = self.far_heads(values) if self.streak else []
        if far:
            what = self._what(far, f"for the last {self.streak} step(s) of the epoch, and so did its validation loss")
            raise RunawayLossError(what, far, values)

    def far_heads(self, values: dict[str, float]) -> list[str]:
        """The heads whose loss is above ``factor`` × their reference, or not finite."""
        return [name for name, value in values.items()
                if not value <= self.factor * self.reference.get(name, self.guess.get(name, 1.0))]

    def reset(self) -> None:
        """After a rollback: the far-off steps were undone (the references stay)."""
        self.streak = 0

    def _what(self, heads: list[str], how_long: str) -> str:
        if not heads:
            return f"on another process, {how_long}"
        shown = [name for name in heads if name in self.reference][:SHOWN]
        limits = ", ".join(f"{name} > {self.factor * self.reference[name]:.3g}" for name in shown)
        limits += ", ..." if len(heads) > len(shown) else ""
        return (f"above {self.factor:g} times its reference loss ({limits}) {how_long}; "
                f"train.diverge_factor={self.factor:g}, train.diverge_steps={self.steps}")

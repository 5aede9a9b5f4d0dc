"""``train.task_balance=loss``: multi-task loss weights that follow how far each task still has to go.

After each epoch every task weighs ``(train loss / reference loss) ** power``, scaled so the weights
average 1, times its ``train.loss_weights`` entry. The reference is the loss of knowing nothing but
the training split's class frequencies (their entropy; log K for balanced classes), or 1 for a
regression task (the mean squared error, in units of its spread, of predicting the mean). A task still
near its reference lags the others, so it gets a larger share of the layers all tasks share; this is
the relative inverse training rate of GradNorm (Chen et al., 2018), read off the losses the epoch
already logs instead of extra gradient passes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.train.callbacks.base import Callback, FitLike

MIN_REFERENCE = 1e-3  # a task with a single class in the training split has entropy 0


def reference_losses(tasks: dict[str, TaskSpec], train_labels: np.ndarray) -> dict[str, float]:
    """Each task's loss with nothing learned: the entropy of its training class frequencies, or 1 (regression).

    ``train_labels`` has one column per task of ``tasks`` (NaN = no label).
    """
    out = {}
    for j, (name, spec) in enumerate(tasks.items()):
        if spec.is_regression:
            out[name] = 1.0
            continue
        y = train_labels[:, j]
        counts = np.bincount(y[~np.isnan(y)].astype(np.int64), minlength=spec.num_classes)
        p = counts[counts > 0] / max(1, counts.sum())
        out[name] = max(MIN_REFERENCE, float(-(p * np.log(p)).sum()))
    return out


class TaskBalance(Callback):
    """Sets ``fit.options.loss_weights`` after each epoch from that epoch's per-task train losses.

    Logs ``loss_weight/<task>``, the weight the epoch trained with. The weights are checkpointed, so a
    resumed run trains on with the ones it had.

    Args:
        reference: each task's loss with nothing learned (:func:`reference_losses`).
        power: how strongly lagging tasks are favoured; 0 would weigh all alike.
        base: ``train.loss_weights`` (unlisted tasks weigh 1), multiplied in.
    """

    name = "task_balance"

    def __init__(self, reference: dict[str, float], *, power: float = 1.0, base: dict[str, float] | None = None) -> None:
        self.reference, self.power, self.base = dict(reference), float(power), dict(base or {})
        self.weights = {t: self.base.get(t, 1.0) for t in self.reference}

    def on_train_begin(self, fit: FitLike) -> None:
        fit.options.loss_weights = dict(self.weights)

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        logs.update({f"loss_weight/{t}": w for t, w in self.weights.items()})
        losses = {t: logs.get(f"train_loss/{t}", math.nan) for t in self.reference}
        if not all(math.isfinite(v) for v in losses.values()):
            return  # keep the last weights
        self.weights = self.balance(losses)
        fit.options.loss_weights = dict(self.weights)

    def balance(self, losses: dict[str, float]) -> dict[str, float]:
        """The next epoch's weights from per-task train losses."""
        lag = {t: (max(0.0, losses[t]) / self.reference[t]) ** self.power for t in self.reference}
        mean = sum(lag.values()) / len(lag)
        if mean <= 0:
            return {t: self.base.get(t, 1.0) for t in self.reference}
        return {t: self.base.get(t, 1.0) * v / mean for t, v in lag.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"weights": dict(self.weights)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.weights.update({t: float(w) for t, w in state.get("weights", {}).items() if t in self.weights})

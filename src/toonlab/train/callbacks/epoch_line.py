"""One line per finished epoch through the ``toonlab`` logger, the same on a terminal, in a log file and in Python.

    epoch 3/20  loss 0.412 (mean per head)  train 91.2 %  val 88.0 %  lr 3.1e-03  12.4 s  ETA 3m05s  * best

Loss is the training loss averaged over the heads (the sum grows with the number of tasks); the
accuracies are the mean over classification tasks, in percent as in the result table; regression
tasks add the validation MAE. ETA is the mean epoch time so far times the epochs left (early stopping
may end sooner). ``* best`` marks the epochs whose weights were saved as ``best.pt``.
"""

from __future__ import annotations

import logging
import time

from toonlab.progress import format_eta
from toonlab.train.callbacks.base import Callback, FitLike

log = logging.getLogger("toonlab.train")


class EpochLine(Callback):
    """Logs :func:`format_epoch_line` at INFO after each epoch; register it after ``ModelCheckpoint``.

    Args:
        epochs: the planned number of epochs.
        checkpoint: the run's ``ModelCheckpoint`` (its ``best_epoch`` gives the ``* best`` marker), or None.
        prefix: put before each line, e.g. the network's name in separate mode.
    """

    name = "epoch_line"

    def __init__(self, epochs: int, checkpoint=None, *, prefix: str = "") -> None:
        self.epochs, self.checkpoint, self.prefix = epochs, checkpoint, prefix
        self.start, self.first = time.perf_counter(), 0

    def on_train_begin(self, fit: FitLike) -> None:
        self.start, self.first = time.perf_counter(), fit.epoch

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        per_epoch = (time.perf_counter() - self.start) / max(1, epoch - self.first)
        best = self.checkpoint is not None and self.checkpoint.best_epoch == epoch
        eta = per_epoch * max(0, self.epochs - epoch)
        log.info("%s%s", self.prefix, format_epoch_line(epoch, self.epochs, logs, eta=eta, best=best))


def format_epoch_line(epoch: int, epochs: int, logs: dict[str, float], *, eta: float | None = None,
                      best: bool = False) -> str:
    """The epoch line for ``logs`` as :func:`toonlab.train.loop.fit` hands them to callbacks.

    Example:
        >>> logs = {"train_loss/a": 0.5, "train_loss/b": 0.3, "train_acc": 0.9, "val_acc": 0.875,
        ...         "lr": 0.0031, "seconds": 12.4}
        >>> format_epoch_line(3, 20, logs, eta=185, best=True)
        'epoch 3/20  loss 0.400 (mean per head)  train 90.0 %  val 87.5 %  lr 3.1e-03  12.4 s  ETA 3m05s  * best'
    """
    parts = [f"epoch {epoch}/{epochs}", f"loss {mean_head_loss(logs, 'train'):.3f} (mean per head)"]
    if any(k.startswith("val_acc/") for k in logs) or not any(k.startswith("val_mae") for k in logs):
        parts += [f"train {100 * logs.get('train_acc', 0.0):.1f} %", f"val {100 * logs.get('val_acc', 0.0):.1f} %"]
    if "val_mae" in logs:
        parts.append(f"val MAE {logs['val_mae']:.3g}")
    if "lr" in logs:
        parts.append(f"lr {logs['lr']:.1e}")
    if "seconds" in logs:
        parts.append(f"{logs['seconds']:.1f} s")
    if eta is not None and epoch < epochs:
        parts.append(f"ETA {format_eta(eta)}")
    return "  ".join(parts) + ("  * best" if best else "")


def mean_head_loss(logs: dict[str, float], split: str) -> float:
    """``{split}_loss`` averaged over the heads (the logs hold the sum and each ``{split}_loss/<task>``)."""
    heads = [v for k, v in logs.items() if k.startswith(f"{split}_loss/")]
    return sum(heads) / len(heads) if heads else float(logs.get(f"{split}_loss", float("nan")))

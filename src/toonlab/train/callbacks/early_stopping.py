"""Stop training when the monitored metric has not improved for ``patience`` epochs."""

from __future__ import annotations

import logging
from typing import Any

from toonlab.train.callbacks.base import FitLike, MonitorCallback

log = logging.getLogger(__name__)


class EarlyStopping(MonitorCallback):
    """Keras-style early stopping on a monitored metric (default validation loss)."""

    name = "early_stopping"

    def __init__(self, monitor: str = "val_loss", *, patience: int = 5, mode: str = "min", min_delta: float = 0.0):
        super().__init__(monitor, mode=mode, min_delta=min_delta)
        self.patience, self.wait, self.stopped_epoch = patience, 0, 0

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        value = self.current(logs)
        if self.improved(value):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.patience > 0 and self.wait >= self.patience:
            fit.stop, self.stopped_epoch = True, epoch
            log.info("Early stopping at epoch %d: %s has not improved for %d epochs (best %.4f).",
                     epoch, self.monitor, self.wait, self.best)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.wait, self.stopped_epoch = int(state.get("wait", 0)), int(state.get("stopped_epoch", 0))

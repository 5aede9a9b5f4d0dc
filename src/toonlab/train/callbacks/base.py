"""The callback protocol (a fixed set of hooks) and the shared monitor base."""

from __future__ import annotations

import math
from typing import Any, Protocol


class FitLike(Protocol):
    """What callbacks may touch: the loop's state."""

    stop: bool
    epoch: int
    options: Any  # FitOptions: loss weights, rollbacks, augmentation

    def checkpoint_payload(self) -> dict[str, Any]: ...


class Callback:
    """Hooks called by :func:`toonlab.train.loop.fit`; override what you need.

    ``state_dict``/``load_state_dict`` let a resumed run continue a callback's counters.
    """

    name = "callback"

    def on_train_begin(self, fit: FitLike) -> None:
        """Before the first (or first resumed) epoch."""

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        """After validation of ``epoch`` (1-based); ``logs`` holds train and val metrics."""

    def on_train_end(self, fit: FitLike) -> None:
        """After the last epoch."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""


class MonitorCallback(Callback):
    """A callback that watches one logged metric for improvement (``mode`` 'min' or 'max')."""

    def __init__(self, monitor: str = "val_loss", *, mode: str = "min", min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'. Received: mode={mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def current(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            raise KeyError(f"Monitored metric {self.monitor!r} is not logged. Logged: {', '.join(sorted(logs))}")
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        """True when ``value`` beats the best by more than ``min_delta``."""
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state.get("best", self.best))

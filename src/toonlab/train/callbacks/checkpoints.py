"""Write ``best.pt`` when the monitored metric improves and ``last.pt`` after every epoch."""

from __future__ import annotations

from pathlib import Path

from toonlab.train.callbacks.base import FitLike, MonitorCallback
from toonlab.inference.checkpoint import save_checkpoint


class ModelCheckpoint(MonitorCallback):
    """Saves ``folder/best.pt`` on improvement and ``folder/last.pt`` every epoch (atomically).

    Register it last, so ``last.pt`` holds every other callback's updated state.
    """

    name = "model_checkpoint"

    def __init__(self, folder: str | Path, monitor: str = "val_loss", *, mode: str = "min") -> None:
        super().__init__(monitor, mode=mode)
        self.folder = Path(folder)
        self.best_epoch = 0

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        value = self.current(logs)
        if self.improved(value):
            self.best, self.best_epoch = value, epoch
            save_checkpoint(self.folder / "best.pt", fit.checkpoint_payload())
        save_checkpoint(self.folder / "last.pt", fit.checkpoint_payload())

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.best_epoch = int(state.get("best_epoch", 0))

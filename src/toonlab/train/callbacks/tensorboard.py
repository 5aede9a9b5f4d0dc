"""Log every epoch's metrics as TensorBoard scalars (``RUN/tb``)."""

from __future__ import annotations

from pathlib import Path

from toonlab.train.callbacks.base import Callback, FitLike


class TensorBoardLogger(Callback):
    """Writes scalars grouped as ``loss/…``, ``acc/…`` with train and val side by side."""

    name = "tensorboard"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.writer = None

    def on_train_begin(self, fit: FitLike) -> None:
        from torch.utils.tensorboard import SummaryWriter  # heavy import, only when logging

        self.writer = SummaryWriter(str(self.folder), purge_step=fit.epoch + 1)

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.writer.add_scalar(_tag(key), value, epoch)
        self.writer.flush()

    def on_train_end(self, fit: FitLike) -> None:
        if self.writer is not None:
            self.writer.close()


def _tag(key: str) -> str:
    """'val_loss/hair' -> 'loss/hair/val'; 'train_acc/hair' -> 'acc/hair/train'."""
    split, _, metric = key.partition("_")
    return f"{metric}/{split}" if metric else key

"""Append one row per epoch to ``history.csv`` (columns fixed by the first epoch)."""

from __future__ import annotations

import csv
from pathlib import Path

from toonlab.train.callbacks.base import Callback, FitLike


class CSVLogger(Callback):
    """Writes ``epoch`` and every logged metric to a CSV file, one row per epoch.

    On resume, rows after the checkpointed epoch (written just before a kill) are dropped,
    so the file always matches the model state.
    """

    name = "csv_logger"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, fit: FitLike) -> None:
        if not self.path.exists():
            return
        with open(self.path, newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= fit.epoch]
        if rows:
            _write(self.path, list(rows[0]), rows)
        else:
            self.path.unlink()

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        row = {"epoch": epoch, **{k: f"{v:.6g}" for k, v in logs.items()}}
        new = not self.path.exists()
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row), extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

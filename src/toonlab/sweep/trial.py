"""One sweep trial: a point of the space trained as a normal run folder, and the numbers it gave.

The trial's config is the sweep's base with the point applied, its round's data subset, epochs and
validation fraction, ``train.monitor`` set to the sweep metric (so early stopping and the best
checkpoint follow what the sweep ranks by) and no progress bar. A folder that already holds a run
is resumed from its last checkpoint (a killed attempt's work is not lost) and a finished one is
only read back.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from toonlab.config import ExperimentConfig
from toonlab.runs import CONFIG_FILE, METRICS_FILE, history_files, read_history
from toonlab.sweep.spec import Round, SweepSpec, apply_point
from toonlab.train.callbacks import Callback
from toonlab.workflows.train import train

log = logging.getLogger(__name__)


@dataclass
class TrialResult:
    """What a finished trial reports: the sweep metric (best epoch), epochs run, wall time and test numbers."""

    value: float
    epochs: int
    wall_time_s: float
    test: dict[str, float]


def trial_config(spec: SweepSpec, point: dict[str, Any], round_: Round | None, *, data: str | None = None,
                 threads: int | None = None) -> ExperimentConfig:
    """The experiment config one trial trains."""
    cfg = apply_point(spec, point)
    if data:
        cfg.data.path = str(data)
    if round_ is not None:
        cfg.data.subset = 0 if round_.subset == 1.0 else round_.subset
        cfg.train.epochs = round_.epochs
        if round_.val_fraction is not None:
            cfg.data.val_fraction = round_.val_fraction
    cfg.train.monitor = spec.metric
    cfg.train.progress = False
    if threads:
        cfg.train.threads = threads
    return cfg


def run_trial(cfg: ExperimentConfig, folder: Path, metric: str, direction: str, *,
              trial: optuna.Trial | None = None, prune: bool = False, deadline: float | None = None) -> TrialResult:
    """Train ``cfg`` into ``folder`` (or read it back when already finished) and return its result.

    With ``prune``, every epoch's ``metric`` is reported to ``trial``; ``optuna.TrialPruned`` ends it early.
    With a ``deadline`` (a ``time.monotonic()`` value), an epoch that ends after it ends the trial the same way.
    """
    if not (folder / METRICS_FILE).exists():
        callbacks = []
        if trial is not None and (prune or deadline is not None):
            callbacks.append(ReportToTrial(trial, metric, prune=prune, deadline=deadline, epochs=cfg.train.epochs))
        resume = (folder / CONFIG_FILE).exists()
        if resume:
            log.info("Resuming the earlier attempt in %s.", folder)
        train(cfg, folder, resume=resume, command=f"toonlab sweep (trial {folder.name})", callbacks=callbacks)
    return read_result(folder, metric, direction)


def read_result(folder: Path, metric: str, direction: str) -> TrialResult:
    """The best epoch's ``metric`` (mean over the networks of a separate-mode run), epochs and test numbers."""
    histories = history_files(folder)
    best, epochs = [], 0
    for path in histories:
        values = [row[metric] for row in _rows(path, metric)]
        finite = [v for v in values if math.isfinite(v)]
        best.append((min if direction == "min" else max)(finite) if finite else math.nan)
        epochs = max(epochs, len(values))
    metrics = json.loads((folder / METRICS_FILE).read_text())
    return TrialResult(sum(best) / len(best), epochs, float(metrics.get("wall_time_s", math.nan)),
                       test_numbers(metrics))


def test_numbers(metrics: dict[str, Any]) -> dict[str, float]:
    """Mean test accuracy and mean MAE (where there are such tasks), and each task's accuracy or MAE."""
    tasks = metrics.get("tasks", {})
    acc = {t: m["accuracy"] for t, m in tasks.items() if "accuracy" in m}
    mae = {t: m["mae"] for t, m in tasks.items() if "mae" in m}
    out = {f"test_acc/{t}": v for t, v in acc.items()} | {f"test_mae/{t}": v for t, v in mae.items()}
    if acc:
        out["test_acc"] = sum(acc.values()) / len(acc)
    if mae:
        out["test_mae"] = sum(mae.values()) / len(mae)
    return out


class ReportToTrial(Callback):
    """Report each epoch's metric to an Optuna trial; stop the run when the pruner says so (``prune``)
    or when an epoch before the last (``epochs``) ended past ``deadline`` (a ``time.monotonic()`` value)."""

    name = "report_to_trial"

    def __init__(self, trial: optuna.Trial, metric: str, *, prune: bool = True, deadline: float | None = None,
                 epochs: int = 0) -> None:
        self.trial, self.metric, self.prune, self.deadline, self.epochs = trial, metric, prune, deadline, epochs

    def on_epoch_end(self, fit, epoch: int, logs: dict[str, float]) -> None:
        value = float(logs[self.metric])
        self.trial.report(value, epoch)
        if self.prune and self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch} with {self.metric} {value:.4g}")
        if self.deadline is not None and time.monotonic() > self.deadline and epoch != self.epochs:
            raise optuna.TrialPruned(f"stopped by the time budget after epoch {epoch} with {self.metric} {value:.4g}")


def _rows(path: Path, metric: str) -> list[dict[str, float]]:
    rows = read_history(path)
    if rows and metric not in rows[0]:
        raise KeyError(f"{path} has no column {metric!r}; it logs {', '.join(rows[0])}")
    return rows

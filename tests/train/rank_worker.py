"""One process of a data-parallel run, started by torchrun from test_distributed.py (not a test itself).

Usage: ``torchrun --nproc_per_node 2 rank_worker.py RUN EPOCHS REPORTS [runaway]``: resumes RUN to EPOCHS
epochs; rank 1's second training step gets a NaN loss (rank 0's does not), so both must roll back
together. With ``runaway`` rank 1's per-head losses of its training steps 2 to 4 are finite but a
million times too large instead (a runaway loss only it sees). Each rank saves its final weights and
rollback count to ``REPORTS/rank<r>.pt``.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from pathlib import Path

import torch

from toonlab.runs import load_run_config
from toonlab.train import loop
from toonlab.train.callbacks import Callback
from toonlab.workflows.train import train


class Report(Callback):
    """Writes the model's state and the rollback count when training ends (outside the run folder)."""

    name = "report"

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_end(self, fit) -> None:
        torch.save({"model": fit.model.state_dict(), "rollbacks": fit.rollbacks, "epoch": fit.epoch}, self.path)


def nan_loss_at(call: int) -> None:
    """Make the ``call``-th training loss of this process NaN (validation runs on rank 0 only)."""
    real, calls = loop.multitask_loss, [0]

    def loss(outputs, targets, tasks, weights=None, smoothing=0.0):
        total, parts = real(outputs, targets, tasks, weights, smoothing=smoothing)
        calls[0] += 1
        return (total * float("nan") if calls[0] == call else total), parts

    loop.multitask_loss = loss


def runaway_loss_at(calls: range) -> None:
    """Multiply this process's per-head training losses by 1e6 on the ``calls``-th training steps."""
    real, seen = loop.multitask_loss, [0]

    def loss(outputs, targets, tasks, weights=None, smoothing=0.0):
        total, parts = real(outputs, targets, tasks, weights, smoothing=smoothing)
        seen[0] += 1
        return total, ({t: p * 1e6 for t, p in parts.items()} if seen[0] in calls else parts)

    loop.multitask_loss = loss


def main(run: str, epochs: str, reports: str, mode: str = "nan") -> None:
    rank = int(os.environ["RANK"])
    if rank == 1:
        runaway_loss_at(range(2, 5)) if mode == "runaway" else nan_loss_at(2)
    cfg = load_run_config(run)
    cfg.train.epochs = int(epochs)
    train(cfg, run, resume=True, callbacks=[Report(Path(reports) / f"rank{rank}.pt")])


if __name__ == "__main__":
    faulthandler.enable(all_threads=True)  # a crash (SIGABRT, SIGSEGV) prints every thread's Python stack
    main(*sys.argv[1:])

"""The training loop: ``train_one_epoch``, ``evaluate``, ``predict`` and ``fit``, read top to bottom."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from toonlab.data.samples import TaskSpec
from toonlab.runtime import Runtime
from toonlab.train.callbacks.base import Callback
from toonlab.train.losses import IGNORE, multitask_loss

log = logging.getLogger(__name__)


class _Meter:
    """Running sums of per-task loss and accuracy, weighted by labelled examples."""

    def __init__(self, tasks: Iterable[str]) -> None:
        self.loss = {t: 0.0 for t in tasks}
        self.correct = {t: 0 for t in tasks}
        self.count = {t: 0 for t in tasks}

    def update(self, outputs: dict[str, torch.Tensor], targets: torch.Tensor, parts: dict[str, torch.Tensor]) -> None:
        for j, name in enumerate(self.loss):
            y = targets[:, j]
            mask = y != IGNORE
            n = int(mask.sum())
            if n == 0:
                continue
            self.loss[name] += float(parts[name].detach()) * n
            self.correct[name] += int((outputs[name].argmax(1)[mask] == y[mask]).sum())
            self.count[name] += n

    def logs(self, prefix: str) -> dict[str, float]:
        out: dict[str, float] = {}
        losses = {t: self.loss[t] / max(1, self.count[t]) for t in self.loss}
        accs = {t: self.correct[t] / max(1, self.count[t]) for t in self.loss}
        out[f"{prefix}_loss"] = sum(losses.values())
        out[f"{prefix}_acc"] = float(np.mean(list(accs.values()))) if accs else 0.0
        out.update({f"{prefix}_loss/{t}": v for t, v in losses.items()})
        out.update({f"{prefix}_acc/{t}": v for t, v in accs.items()})
        return out


def train_one_epoch(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    *,
    tasks: dict[str, TaskSpec],
    runtime: Runtime,
    scheduler: Any = None,
    progress: bool = False,
    desc: str = "train",
) -> dict[str, float]:
    """One pass over the training batches; returns ``train_loss``, ``train_acc`` and per-task values."""
    model.train()
    meter = _Meter(tasks)
    bar = _bar(batches, progress, desc)
    for x, y in bar:
        with runtime.autocast():
            outputs = model(x)
        loss, parts = multitask_loss(outputs, y, tasks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        meter.update(outputs, y, parts)
        if progress:
            bar.set_postfix(loss=f"{float(loss):.3f}")
    return meter.logs("train")


@torch.no_grad()
def evaluate(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], *, tasks: dict[str, TaskSpec], runtime: Runtime
) -> dict[str, float]:
    """Loss and accuracy over ``batches`` without updating anything; keys prefixed ``val_``."""
    model.eval()
    meter = _Meter(tasks)
    for x, y in batches:
        with runtime.autocast():
            outputs = model(x)
        _, parts = multitask_loss(outputs, y, tasks)
        meter.update(outputs, y, parts)
    return meter.logs("val")


@torch.no_grad()
def predict(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], *, runtime: Runtime
) -> dict[str, np.ndarray]:
    """Class probabilities per task, ``{task: (N, K) float32}``, in batch order."""
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {}
    for x, _ in batches:
        with runtime.autocast():
            outputs = model(x)
        for name, logits in outputs.items():
            chunks.setdefault(name, []).append(torch.softmax(logits.float(), 1).cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


@dataclass
class Fit:
    """The state of one ``fit``: what callbacks see and what a checkpoint holds."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    tasks: dict[str, TaskSpec]
    runtime: Runtime
    callbacks: list[Callback] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # config, tasks, preprocessing: saved as-is
    epoch: int = 0
    stop: bool = False

    def checkpoint_payload(self) -> dict[str, Any]:
        """Everything needed to resume or to use the model (see toonlab.train.checkpoint)."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "epoch": self.epoch,
            "callbacks": {cb.name: cb.state_dict() for cb in self.callbacks},
            "rng": {"torch": torch.get_rng_state()},
            "stopped": self.stop,
            **self.meta,
        }

    def restore(self, ckpt: dict[str, Any]) -> None:
        """Continue from a checkpoint written by :meth:`checkpoint_payload`."""
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt.get("scheduler") is not None:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        for cb in self.callbacks:
            cb.load_state_dict(ckpt.get("callbacks", {}).get(cb.name, {}))
        torch.set_rng_state(ckpt["rng"]["torch"])
        self.epoch = int(ckpt["epoch"])
        self.stop = bool(ckpt.get("stopped", False))


def fit(state: Fit, train_batches: Any, val_batches: Any, *, epochs: int, progress: bool = False) -> Fit:
    """Train from ``state.epoch + 1`` to ``epochs`` (or until a callback stops it)."""
    for cb in state.callbacks:
        cb.on_train_begin(state)
    while state.epoch < epochs and not state.stop:
        epoch = state.epoch + 1
        train_batches.set_epoch(epoch)
        start = time.perf_counter()
        logs = train_one_epoch(state.model, train_batches, state.optimizer, tasks=state.tasks, runtime=state.runtime,
                               scheduler=state.scheduler, progress=progress, desc=f"epoch {epoch}/{epochs}")
        logs.update(evaluate(state.model, val_batches, tasks=state.tasks, runtime=state.runtime))
        logs["lr"] = state.optimizer.param_groups[0]["lr"]
        logs["seconds"] = time.perf_counter() - start
        state.epoch = epoch
        log.info("epoch %d: train_loss %.4f val_loss %.4f val_acc %.4f (%.1fs)", epoch, logs["train_loss"],
                 logs["val_loss"], logs["val_acc"], logs["seconds"])
        for cb in state.callbacks:
            cb.on_epoch_end(state, epoch, logs)
    for cb in state.callbacks:
        cb.on_train_end(state)
    return state


def _bar(batches: Any, progress: bool, desc: str) -> Any:
    if not progress:
        return batches
    from tqdm.auto import tqdm

    return tqdm(batches, desc=desc, leave=False, unit="batch", dynamic_ncols=True)

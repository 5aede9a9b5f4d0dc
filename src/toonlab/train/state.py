"""What one ``fit`` carries and checkpoints: ``Fit``, its ``FitOptions``, and the running ``Meter``.

``Fit.training_state`` is the part a divergence rollback restores (weights, optimizer, scheduler,
RNGs, position in the epoch); ``Fit.checkpoint_payload`` adds the epoch, callbacks, rollback count
and ``meta`` for ``last.pt`` / ``best.pt`` (keys documented in :mod:`toonlab.inference.checkpoint`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from toonlab.config import AugmentConfig, ExperimentConfig, to_dict
from toonlab.data.augment import build_augment
from toonlab.data.cache import parse_background
from toonlab.data.samples import TaskSpec
from toonlab.runtime import Runtime
from toonlab.train.callbacks.base import Callback
from toonlab.models.losses import fully_labelled, labelled


class Meter:
    """Running per-task sums over labelled examples: loss, and correct answers (classification)
    or absolute error (regression), so ``logs`` gives accuracy or MAE per task."""

    def __init__(self, tasks: dict[str, TaskSpec] | Iterable[str]) -> None:
        self.regression = {t for t, s in tasks.items() if s.is_regression} if isinstance(tasks, dict) else set()
        self.loss = {t: 0.0 for t in tasks}
        self.correct = {t: 0.0 for t in tasks}  # regression tasks: the sum of absolute errors
        self.count = {t: 0 for t in tasks}

    def update(self, outputs: dict[str, torch.Tensor], targets: torch.Tensor, parts: dict[str, torch.Tensor]) -> None:
        if fully_labelled(targets):
            self._update_all(outputs, targets, parts)
            return
        for j, name in enumerate(self.loss):
            y = targets[:, j]
            mask = labelled(y)
            n = int(mask.sum())
            if n == 0:
                continue
            out = outputs[name].detach()
            self.loss[name] += float(parts[name].detach()) * n
            if name in self.regression:
                self.correct[name] += float((out.float()[mask] - y[mask]).abs().sum())
            else:
                self.correct[name] += int((out.argmax(1)[mask] == y[mask].long()).sum())
            self.count[name] += n

    def _update_all(self, outputs: dict[str, torch.Tensor], targets: torch.Tensor,
                    parts: dict[str, torch.Tensor]) -> None:
        """``update`` for a batch with every label: each task's sums stacked and read back at once."""
        n, classes = targets.shape[0], targets.long()
        scores = []
        for j, name in enumerate(self.loss):
            out = outputs[name].detach()
            if name in self.regression:
                scores.append((out.float() - targets[:, j]).abs().sum())
            else:
                scores.append((out.argmax(1) == classes[:, j]).sum())
        losses = torch.stack([parts[name].detach() for name in self.loss]).tolist()
        for name, loss, score in zip(self.loss, losses, torch.stack(scores).double().tolist()):
            self.loss[name] += loss * n
            self.correct[name] += score
            self.count[name] += n

    def logs(self, prefix: str) -> dict[str, float]:
        """``{prefix}_loss`` (sum over tasks), ``{prefix}_acc`` (mean over classification tasks),
        ``{prefix}_mae`` (mean over regression tasks, when any), and each per task."""
        losses = {t: self.loss[t] / max(1, self.count[t]) for t in self.loss}
        scores = {t: self.correct[t] / max(1, self.count[t]) for t in self.loss}
        accs = {t: v for t, v in scores.items() if t not in self.regression}
        maes = {t: v for t, v in scores.items() if t in self.regression}
        out: dict[str, float] = {f"{prefix}_loss": sum(losses.values()),
                                 f"{prefix}_acc": float(np.mean(list(accs.values()))) if accs else 0.0}
        if maes:
            out[f"{prefix}_mae"] = float(np.mean(list(maes.values())))
        out.update({f"{prefix}_loss/{t}": v for t, v in losses.items()})
        out.update({f"{prefix}_acc/{t}": v for t, v in accs.items()})
        out.update({f"{prefix}_mae/{t}": v for t, v in maes.items()})
        return out

    def state_dict(self) -> dict[str, Any]:
        """The partial sums as plain data (a mid-epoch checkpoint continues them exactly)."""
        return {"loss": dict(self.loss), "correct": dict(self.correct), "count": dict(self.count),
                "regression": sorted(self.regression)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Meter:
        meter = cls(list(state["loss"]))
        meter.loss, meter.correct, meter.count = dict(state["loss"]), dict(state["correct"]), dict(state["count"])
        meter.regression = set(state.get("regression", []))
        return meter


@dataclass
class FitOptions:
    """How ``fit`` guards and checkpoints a run; the fields mirror :class:`toonlab.config.TrainConfig` (whose
    validation bounds them)."""

    max_rollbacks: int = 3
    rollback_lr_factor: float = 0.5
    diverge_factor: float = 10.0  # a head's loss above this many times its reference counts as far off; 0 = off
    diverge_steps: int = 20  # far-off steps in a row that count as divergence (see toonlab.train.runaway)
    checkpoint_every: int = 0  # steps between mid-epoch last.pt writes; 0 = only the epoch-end ones
    last_path: Path | None = None  # where those writes go (usually RUN/checkpoints/last.pt)
    loss_weights: dict[str, float] = field(default_factory=dict)
    label_smoothing: float = 0.0  # of the training loss only
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None  # e.g. a BatchAugment
    seed: int = 0  # epoch e augments with toonlab.data.augment.augment_generator(seed, e)

    @classmethod
    def from_config(cls, cfg: ExperimentConfig | dict[str, Any], *, last_path: str | Path | None = None) -> FitOptions:
        """The options of an experiment config (or its dict form, as saved in ``Fit.meta["config"]``)."""
        cfg = to_dict(cfg) if isinstance(cfg, ExperimentConfig) else cfg
        train, defaults = cfg.get("train", {}), cls()
        return cls(max_rollbacks=int(train.get("max_rollbacks", defaults.max_rollbacks)),
                   rollback_lr_factor=float(train.get("rollback_lr_factor", defaults.rollback_lr_factor)),
                   diverge_factor=float(train.get("diverge_factor", defaults.diverge_factor)),
                   diverge_steps=int(train.get("diverge_steps", defaults.diverge_steps)),
                   checkpoint_every=int(train.get("checkpoint_every", 0)),
                   last_path=Path(last_path) if last_path else None,
                   loss_weights=dict(train.get("loss_weights") or {}),
                   label_smoothing=float(train.get("label_smoothing", 0.0)),
                   augment=_augmenter(cfg), seed=int(train.get("seed", 0)))


@dataclass
class Fit:
    """The state of one ``fit``: what callbacks see and what a checkpoint holds.

    Without explicit ``options`` they come from the run config in ``meta["config"]``, with
    mid-epoch checkpoints going to the ``last.pt`` of the ``ModelCheckpoint`` callback's folder.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    tasks: dict[str, TaskSpec]
    runtime: Runtime
    callbacks: list[Callback] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # config, tasks, preprocessing: saved as-is
    options: FitOptions | None = None
    epoch: int = 0  # completed epochs
    step: int = 0  # completed steps of epoch ``epoch + 1`` (mid-epoch checkpoints only)
    meter: Meter | None = None  # that partial epoch's running sums
    augment_rng: torch.Generator | None = None  # the current epoch's augmentation generator
    rollbacks: int = 0
    stop: bool = False
    parallel: Any = None  # a toonlab.train.distributed.Parallel when several processes train ``model`` together

    def __post_init__(self) -> None:
        if self.options is None:
            self.options = FitOptions.from_config(self.meta.get("config", {}),
                                                  last_path=_checkpoint_last(self.callbacks))

    def training_state(self) -> dict[str, Any]:
        """What a rollback restores: weights, optimizer, scheduler, RNG and the position in the epoch."""
        mid_epoch_augment = self.augment_rng if self.step else None
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": _rng_state(mid_epoch_augment),
            "step": self.step,
            "meter": self.meter.state_dict() if self.meter is not None and self.step else None,
        }

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`training_state` (pass a copy you no longer need: the optimizer keeps its tensors)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        _set_rng_state(state["rng"])
        self.step = int(state.get("step", 0))
        self.augment_rng = _generator(state["rng"].get("augment"), self.runtime.device) if self.step else None
        self.meter = Meter.from_state(state["meter"]) if self.step and state.get("meter") else None

    def checkpoint_payload(self) -> dict[str, Any]:
        """Everything needed to resume or to use the model (see toonlab.inference.checkpoint)."""
        return {
            **self.training_state(),
            "epoch": self.epoch,
            "callbacks": {cb.name: cb.state_dict() for cb in self.callbacks},
            "rollback": {"count": self.rollbacks, "lr": [g["lr"] for g in self.optimizer.param_groups]},
            "stopped": self.stop,
            **self.meta,
        }

    def restore(self, ckpt: dict[str, Any]) -> None:
        """Continue from a checkpoint written by :meth:`checkpoint_payload` (mid-epoch ones too)."""
        self.load_training_state(ckpt)
        for cb in self.callbacks:
            cb.load_state_dict(ckpt.get("callbacks", {}).get(cb.name, {}))
        rollback = ckpt.get("rollback") or {}
        self.rollbacks = int(rollback.get("count", 0))
        for group, lr in zip(self.optimizer.param_groups, rollback.get("lr", [])):
            group["lr"] = lr
        self.epoch = int(ckpt["epoch"])
        self.stop = bool(ckpt.get("stopped", False))


def _rng_state(augment: torch.Generator | None) -> dict[str, Any]:
    rng: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    if augment is not None:
        rng["augment"] = augment.get_state()
    return rng


def _set_rng_state(rng: dict[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    if rng.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def _generator(state: torch.Tensor | None, device: torch.device) -> torch.Generator | None:
    if state is None:
        return None
    generator = torch.Generator(device=device)
    generator.set_state(state)
    return generator


def _augmenter(cfg: dict[str, Any]) -> Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None:
    """The config's training augmentation, or None when every probability is 0."""
    augment = build_augment(AugmentConfig(**cfg.get("augment", {})),
                            background=parse_background(cfg.get("data", {}).get("background", "white")))
    return augment if augment.enabled else None


def _checkpoint_last(callbacks: list[Callback]) -> Path | None:
    """``last.pt`` in the folder of the ``ModelCheckpoint`` callback, if there is one."""
    folders = [getattr(cb, "folder", None) for cb in callbacks if cb.name == "model_checkpoint"]
    return Path(folders[0]) / "last.pt" if folders and folders[0] is not None else None

"""The training loop: ``train_one_epoch``, ``evaluate`` and ``fit``, read top to bottom.

``fit`` survives two kinds of trouble. Divergence: a non-finite loss or gradient, or a finite loss that
runs away (:mod:`toonlab.train.runaway`), rolls the run back to the start of the epoch with a lower
learning rate (see :mod:`toonlab.train.divergence`).
Interruption: with ``checkpoint_every`` it also writes ``last.pt`` every N steps, holding the
step within the epoch, so a resumed run skips the batches already seen and ends bit-identical.
``Fit`` (the state a checkpoint holds) lives in :mod:`toonlab.train.state` and is re-exported here.
"""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any, Callable, Iterable

import torch
from torch import nn

from toonlab.data.augment import augment_generator
from toonlab.data.samples import TaskSpec
from toonlab.progress import Progress
from toonlab.runtime import Runtime
from toonlab.inference.checkpoint import save_checkpoint
from toonlab.train.divergence import (DivergenceError, Snapshot, StepDiverged, check_gradients, check_loss,
                                      divergence_message, lower_lr)
from toonlab.models.losses import multitask_loss
from toonlab.train.optim import advance
from toonlab.train.runaway import RunawayWatch
from toonlab.train.state import Fit, FitOptions, Meter

__all__ = ["Fit", "FitOptions", "evaluate", "fit", "train_one_epoch", "train_step"]
log = logging.getLogger(__name__)
EPOCH_LINES_EVERY_S = 60.0  # no terminal: a plain progress line within an epoch at most this often


def train_step(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer, *,
    tasks: dict[str, TaskSpec], runtime: Runtime, loss_weights: dict[str, float] | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None, label_smoothing: float = 0.0,
) -> dict[str, Any]:
    """Forward, backward and update on one batch; returns ``loss``, ``loss/<task>`` and ``outputs``.

    Raises :class:`~toonlab.train.divergence.NonFiniteError` *before* the update when the
    loss or any gradient is NaN or infinite, naming the heads concerned. ``augment(x)`` runs first.
    """
    if augment is not None:
        x = augment(x)
    with runtime.autocast():
        outputs = model(x)
    loss, parts = multitask_loss(outputs, y, tasks, loss_weights, smoothing=label_smoothing)
    check_loss(loss, parts)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    check_gradients(model, parts)
    optimizer.step()
    return {"loss": loss.detach(), **{f"loss/{t}": part.detach() for t, part in parts.items()}, "outputs": outputs}


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
    loss_weights: dict[str, float] | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    meter: Meter | None = None,
    start: int = 0,
    on_step: Callable[[int, Meter], None] | None = None,
    label_smoothing: float = 0.0,
    watch: RunawayWatch | None = None,
) -> dict[str, float]:
    """One pass over the training batches; returns ``train_loss``, ``train_acc`` and per-task values.

    ``start`` steps were already done (their sums are in ``meter``); ``on_step(step, meter)`` runs
    after each 1-based ``step``. ``watch`` sees each step's per-task losses and raises when they run away.
    """
    model.train()
    meter = meter or Meter(tasks)
    with Progress(desc, total=_length(batches), enabled=progress, unit="batch", every=EPOCH_LINES_EVERY_S,
                  summary=False) as bar:
        for step, (x, y) in enumerate(batches, start=start + 1):
            result = train_step(model, x, y, optimizer, tasks=tasks, runtime=runtime, loss_weights=loss_weights,
                                augment=augment, label_smoothing=label_smoothing)
            if scheduler is not None:
                advance(scheduler)
            parts = {t: result[f"loss/{t}"] for t in tasks if f"loss/{t}" in result}
            meter.update(result["outputs"], y, parts)
            if watch is not None:
                watch.update(parts)
            if on_step is not None:
                on_step(step, meter)
            if bar.enabled:
                bar.set_postfix(f"loss {float(result['loss']) / max(1, len(tasks)):.3f}")
                bar.update()
    return meter.logs("train")


@torch.no_grad()
def evaluate(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], *, tasks: dict[str, TaskSpec], runtime: Runtime
) -> dict[str, float]:
    """Loss and accuracy over ``batches`` without updating anything; keys prefixed ``val_``."""
    model.eval()
    meter = Meter(tasks)
    for x, y in batches:
        with runtime.autocast():
            outputs = model(x)
        _, parts = multitask_loss(outputs, y, tasks)
        meter.update(outputs, y, parts)
    return meter.logs("val")


def fit(state: Fit, train_batches: Any, val_batches: Any, *, epochs: int, progress: bool = False) -> Fit:
    """Train from ``state.epoch + 1`` (and ``state.step``) to ``epochs``, or until a callback stops it.

    Raises:
        DivergenceError: the loss or a gradient stayed non-finite, or the loss ran away, after
            ``max_rollbacks`` rollbacks.
    """
    for cb in state.callbacks:
        cb.on_train_begin(state)
    watch = _runaway_watch(state, len(train_batches))
    while state.epoch < epochs and not state.stop:
        epoch = state.epoch + 1
        snapshot = Snapshot(state.training_state())  # ~15 ms for 0.5M params + Adam: free next to an epoch
        start = time.perf_counter()
        try:
            logs = _train_epoch(state, train_batches, epoch, f"epoch {epoch}/{epochs}", progress, watch)
            logs.update(evaluate(state.model, val_batches, tasks=state.tasks, runtime=state.runtime))
            if state.parallel is not None:  # every process acts on the same train sums and rank 0's validation
                logs = state.parallel.agree(state, logs)
            if watch is not None:
                watch.check_epoch_end(logs)
        except StepDiverged as bad:
            _roll_back(state, snapshot, bad, epoch=epoch, steps=len(train_batches))
            if watch is not None:
                watch.reset()
            continue
        _end_epoch(state, epoch, logs, seconds=time.perf_counter() - start)
    for cb in state.callbacks:
        cb.on_train_end(state)
    return state


def _runaway_watch(state: Fit, epoch_steps: int) -> RunawayWatch | None:
    """The watch for a finite loss that runs away, or None with ``train.diverge_factor=0``."""
    opts = state.options
    if not opts.diverge_factor:
        return None
    return RunawayWatch(state.tasks, factor=opts.diverge_factor, steps=opts.diverge_steps, epoch_steps=epoch_steps,
                        device=state.runtime.device)


def _train_epoch(state: Fit, batches: Any, epoch: int, desc: str, progress: bool,
                 watch: RunawayWatch | None = None) -> dict[str, float]:
    """Train epoch ``epoch`` from ``state.step`` on: the same order as ever, minus the batches already done."""
    batches.set_epoch(epoch)
    remaining = itertools.islice(batches, state.step, None) if state.step else batches
    augment = _epoch_augment(state, epoch)

    def after_step(step: int, meter: Meter) -> None:
        state.step, state.meter = step, meter
        every = state.options.checkpoint_every
        if every and state.options.last_path and step % every == 0 and step < len(batches):
            save_checkpoint(state.options.last_path, state.checkpoint_payload())

    model = state.model if state.parallel is None else state.parallel.model  # the DDP wrapper syncs gradients
    return train_one_epoch(model, remaining, state.optimizer, tasks=state.tasks, runtime=state.runtime,
                           scheduler=state.scheduler, progress=progress, desc=desc,
                           loss_weights=state.options.loss_weights, augment=augment, meter=state.meter,
                           start=state.step, on_step=after_step, label_smoothing=state.options.label_smoothing,
                           watch=watch)


def _epoch_augment(state: Fit, epoch: int) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """``x -> augmented x`` for this epoch, drawing on the epoch's generator (restored when resuming mid-epoch)."""
    augment = state.options.augment
    if augment is None:
        return None
    if state.step == 0 or state.augment_rng is None:
        state.augment_rng = augment_generator(state.options.seed, epoch, state.runtime.device)
    return lambda x: augment(x, state.augment_rng)


def _roll_back(state: Fit, snapshot: Snapshot, bad: StepDiverged, *, epoch: int, steps: int) -> None:
    """Restore ``snapshot`` with a lower learning rate, or give up with a clear error."""
    failed_step, opts = min(state.step + 1, steps), state.options  # an epoch-end verdict: its last step
    if state.rollbacks >= opts.max_rollbacks:
        lr = state.optimizer.param_groups[0]["lr"]
        raise DivergenceError(divergence_message(bad, epoch=epoch, step=failed_step, steps=steps,
                                                 rollbacks=state.rollbacks, lr=lr)) from None
    state.load_training_state(snapshot.state())
    old, new = lower_lr(state.optimizer, state.scheduler, opts.rollback_lr_factor)
    state.rollbacks += 1
    log.warning("%s at epoch %d, step %d of %d: rolled back to step %d of the epoch "
                "(0 = its start) and lowered the learning rate %g -> %g (rollback %d of at most %d).",
                bad.summary(), epoch, failed_step, steps, state.step, old, new, state.rollbacks, opts.max_rollbacks)
    if opts.checkpoint_every and opts.last_path:  # a mid-epoch last.pt may hold the diverging weights
        save_checkpoint(opts.last_path, state.checkpoint_payload())


def _end_epoch(state: Fit, epoch: int, logs: dict[str, float], *, seconds: float) -> None:
    """Record the finished epoch and hand its logs to the callbacks."""
    logs["lr"] = state.optimizer.param_groups[0]["lr"]
    logs["rollbacks"] = state.rollbacks
    logs["seconds"] = seconds
    state.epoch, state.step, state.meter = epoch, 0, None
    log.debug("epoch %d: train_loss %.4f val_loss %.4f val_acc %.4f (%.1fs)", epoch, logs["train_loss"],
              logs["val_loss"], logs["val_acc"], logs["seconds"])  # the epoch line is the EpochLine callback's
    for cb in state.callbacks:
        cb.on_epoch_end(state, epoch, logs)


def _length(batches: Any) -> int | None:
    """The number of batches, or None for an iterable without a length (a resumed epoch's rest)."""
    try:
        return len(batches)
    except TypeError:
        return None

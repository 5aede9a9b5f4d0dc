"""One run's pipeline below :func:`toonlab.workflows.train.train`: check the run folder, train each network
(one shared or one per task), evaluate on the test split. :mod:`toonlab.workflows.many` (folds, repeats) and
:mod:`toonlab.workflows.parallel` (several processes) build on it; it imports neither, nor the entry point.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

import toonlab.provenance as provenance
from toonlab.budget import parse_duration
from toonlab.config import ExperimentConfig, TrainConfig, save_config, to_dict
from toonlab.data.batches import MEAN, STD, Batches
from toonlab.data.conflicts import DROPPED, outcome, summary, write_conflicts
from toonlab.data.augment import augment_generator
from toonlab.data.fingerprint import data_fingerprint
from toonlab.data.dataset import (
    PreparedData,
    duplicate_report,
    regression_scales,
    write_skipped,
)
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.evaluate.metrics import majority_classes
from toonlab.evaluate.run import evaluate_prepared
from toonlab.models import create_model
from toonlab.models.transfer import PretrainedBackbone, param_groups
from toonlab.runs import CONFIG_FILE, group_folder
from toonlab.runtime import Runtime
from toonlab.train import distributed
from toonlab.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    TensorBoardLogger,
)
from toonlab.train.callbacks.epoch_line import EpochLine
from toonlab.train.callbacks.task_balance import TaskBalance, reference_losses
from toonlab.train.callbacks.unfreeze import UnfreezeBackbone
from toonlab.inference.checkpoint import load_checkpoint, tasks_to_dict
from toonlab.train.feature_cache import can_cache, feature_batches
from toonlab.train.folder import check_out
from toonlab.train.epochs import EpochPlan, measure_epoch, plan_epochs
from toonlab.train.loop import Fit, FitOptions, fit, train_step
from toonlab.models.losses import training_labels
from toonlab.train.optim import build_optimizer, build_scheduler, check_resumed_schedule
from toonlab.version import __version__

log = logging.getLogger(__name__)
CONFLICTS_FILE = "conflicts.csv"


def train_prepared(
    cfg: ExperimentConfig, data: PreparedData, out: Path, runtime: Runtime, *, resume: bool = False,
    command: str = "", start: float | None = None, callbacks: list[Callback] | None = None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Train every network of one run on already prepared (and split) data, then evaluate on its test split.

    With ``train.budget`` (or an explicit ``deadline``, a ``time.perf_counter()`` value) the networks
    share the time left equally, each choosing its epochs to fit (:mod:`toonlab.train.epochs`).
    """
    start = time.perf_counter() if start is None else start
    data.tasks = regression_scales(data.tasks, data.labels[data.splits["train"]])
    if distributed.is_main():  # with several processes only rank 0 writes the run folder
        save_config(cfg, out / CONFIG_FILE)
        write_skipped(out / "skipped.csv", data.skipped)
        write_conflicts(out / CONFLICTS_FILE, duplicate_report(data)["conflicts"])
    log.info("Data: %d images used, %d skipped; splits %s; %s", len(data.rel_paths), len(data.skipped),
             data.split_sizes(), runtime.describe())
    _warn_duplicates(data)
    deadline = budget_deadline(cfg.train, start) if deadline is None else deadline
    groups, plans = _task_groups(cfg.train.mode, data.tasks), {}
    for i, tasks in enumerate(groups):
        folder = group_folder(out, mode=cfg.train.mode, task=next(iter(tasks)))
        seconds = None if deadline is None else (deadline - time.perf_counter()) / (len(groups) - i)
        state = train_network(cfg, data, tasks, folder, runtime, resume=resume, callbacks=callbacks, seconds=seconds)
        plans[str(folder.relative_to(out)) or "."] = state.meta.get("epoch_plan", {})
    train_seconds = time.perf_counter() - start
    extra = {"seed": cfg.train.seed, "mode": cfg.train.mode, "image_size": cfg.data.image_size,
             "wall_time_s": round(train_seconds, 2), "command": command, "duplicates": duplicate_report(data),
             "epochs": plans}
    if distributed.active():
        extra["processes"] = distributed.processes()
    return distributed.on_main(lambda: evaluate_prepared(out, data, runtime, extra=extra, options=cfg.eval,
                                                                progress=cfg.train.progress))


def _warn_duplicates(data: PreparedData) -> None:
    report = duplicate_report(data)
    if report["cross_split"]:
        example = ", ".join(report["cross_split"][0]["files"][:3])
        log.warning("%d clusters of exact/near-duplicate images straddle the train/val/test splits (e.g. %s); "
                    "test accuracy may be inflated. Use --duplicates group or --duplicates drop; "
                    "`toonlab check DATA` lists them.", len(report["cross_split"]), example)
    elif report["clusters"]:
        log.info("%d duplicate clusters found, none straddling the splits.", report["clusters"])
    _warn_conflicts(report["conflicts"])


def _warn_conflicts(entries: list[dict]) -> None:
    """One line on duplicate clusters whose labels disagree, what was done about it, and where the list is."""
    if not entries:
        return
    resolved = all(s == DROPPED for e in entries for s in e["splits"])  # drop-conflicts dropped them all
    level = logging.INFO if resolved else logging.WARNING
    log.log(level, "%s; %s. %s lists them all.", summary(entries), outcome(entries), CONFLICTS_FILE)


def train_network(
    cfg: ExperimentConfig, data: PreparedData, tasks: dict[str, TaskSpec], folder: Path, runtime: Runtime, *,
    resume: bool = False, callbacks: list[Callback] | None = None, seconds: float | None = None,
) -> Fit:
    """Fit one network for ``tasks`` with checkpoints, logs and early stopping in ``folder``.

    ``seconds``: the time this network may take (its share of ``train.budget``), or None.
    """
    _seed_everything(cfg.train.seed)
    model = _place(create_model(cfg.model, tasks, image_size=cfg.data.image_size), runtime)
    columns = [list(data.tasks).index(t) for t in tasks]
    labels = data.labels[:, columns]
    fit_labels = training_labels(labels, data.hidden[:, columns], cfg.train.undrawn_labels)
    train_b, val_b = distributed.shard(*_batches(cfg, data, fit_labels, labels, runtime))
    options = FitOptions.from_config(cfg)
    if cfg.train.feature_cache and can_cache(model, options.augment is not None) and not distributed.active():
        train_b, val_b = feature_batches(model, train_b, val_b, runtime)  # the frozen backbone runs once per image
    last = folder / "checkpoints" / "last.pt"
    checkpoint = load_checkpoint(last) if resume and last.exists() else None
    plan = _epoch_plan(cfg, model, tasks, (train_b, val_b), runtime, seconds, options, checkpoint,
                       n_train=len(data.splits["train"]))
    cfg = replace(cfg, train=replace(cfg.train, epochs=plan.epochs))  # this network's epochs, in its checkpoints
    if checkpoint is not None and not checkpoint.get("stopped"):
        check_resumed_schedule(cfg.train, checkpoint["config"]["train"], str(folder))
    optimizer = build_optimizer(_groups(cfg, model), cfg.train)
    scheduler = build_scheduler(optimizer, cfg.train, steps_per_epoch=len(train_b))
    train_labels = labels[data.splits["train"]]
    meta = {**_meta(cfg, tasks, train_labels), "epoch_plan": plan.as_dict(),
            "provenance": provenance.current(data_fingerprint(data))}
    extra = [*_transfer_callbacks(cfg, model), *(callbacks or [])]
    balance = _balance_callbacks(cfg, tasks, fit_labels[data.splits["train"]])  # what the training loss sees
    cbs = distributed.rank_callbacks(balance + _callbacks(cfg, folder, tasks, extra))
    state = Fit(model, optimizer, scheduler, tasks, runtime, cbs, meta)
    if checkpoint is not None:
        state.restore(checkpoint)
        log.info("Resuming %s after epoch %d, step %d.", folder, state.epoch, state.step)
    distributed.parallelize(state)
    return fit(state, train_b, val_b, epochs=plan.epochs, progress=cfg.train.progress)


def _groups(cfg: ExperimentConfig, model: torch.nn.Module) -> list[dict]:
    return param_groups(model, cfg.train.lr, cfg.model.backbone_lr, cfg.train.shared_lr)


def _epoch_plan(cfg: ExperimentConfig, model: torch.nn.Module, tasks: dict[str, TaskSpec], batches: tuple,
                runtime: Runtime, seconds: float | None, options: FitOptions, checkpoint: dict | None, *,
                n_train: int) -> EpochPlan:
    """How many epochs: given, by data size, or fitted to ``seconds``. A resumed network keeps the plan its
    checkpoint holds, unless the command now gives the epochs (then they are a new limit, as always)."""
    given = cfg.train.epochs and seconds is None
    if checkpoint is not None and checkpoint.get("epoch_plan") and not given:
        return EpochPlan(**checkpoint["epoch_plan"])

    def step(net, optimizer, x, y):
        train_step(net, x, y, optimizer, tasks=tasks, runtime=runtime, augment=_probe_augment(options, runtime),
                   label_smoothing=options.label_smoothing)

    def epoch_seconds() -> float:
        made = lambda net: build_optimizer(_groups(cfg, net), cfg.train)  # noqa: E731
        return distributed.share(measure_epoch(model, made, step, *batches, runtime))

    plan = plan_epochs(cfg.train.epochs, n_train=n_train, batch_size=cfg.train.batch_size,
                       seconds=seconds, epoch_seconds=epoch_seconds, fill=cfg.train.budget_fill)
    log.info("Epochs: %s.", plan.describe())
    return plan


def _probe_augment(options: FitOptions, runtime: Runtime):
    """The run's augmentation, drawing on a throw-away generator (so the probe costs what an epoch's step costs)."""
    if options.augment is None:
        return None
    rng = augment_generator(options.seed, 0, runtime.device)
    return lambda x: options.augment(x, rng)


def budget_deadline(train_cfg: TrainConfig, start: float) -> float | None:
    """``start`` + ``train.budget`` seconds (a ``time.perf_counter()`` value), or None without a budget."""
    seconds = parse_duration(train_cfg.budget, name="train.budget")
    return start + seconds if seconds else None


def _transfer_callbacks(cfg: ExperimentConfig, model: torch.nn.Module) -> list[Callback]:
    """Gradual unfreezing of a fine-tuned pretrained backbone, when asked for."""
    if cfg.model.transfer == "finetune" and cfg.model.unfreeze_epochs > 0 and isinstance(
            getattr(model, "backbone", None), PretrainedBackbone):
        return [UnfreezeBackbone(model.backbone, cfg.model.unfreeze_epochs)]
    return []


def _balance_callbacks(cfg: ExperimentConfig, tasks: dict[str, TaskSpec], train_labels: np.ndarray) -> list[Callback]:
    """``train.task_balance=loss`` on a multi-task network (first, so the loggers see its weights)."""
    if cfg.train.task_balance == "none" or len(tasks) < 2:
        return []
    return [TaskBalance(reference_losses(tasks, train_labels), power=cfg.train.balance_power,
                        base=cfg.train.loss_weights)]




def run_kind(cfg: ExperimentConfig) -> str:
    """``"folds"`` or ``"repeats"`` (the config's validation refuses both at once)."""
    return "folds" if cfg.data.folds else "repeats"


def check_run_folder(cfg: ExperimentConfig, out: Path, resume: bool, *, overwrite: bool = False) -> Path:
    """Check the mode, the data folder and the run folder (new, an old one to ``resume``, or one to replace
    with ``overwrite``, which deletes the old run once everything else is checked). Creates nothing."""
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA (`toonlab train DATA`) or set data.path in --config.")
    cfg.data.path = str(Path(cfg.data.path).resolve())  # absolute, so `toonlab eval RUN` works from any folder
    if cfg.data.exclude:
        cfg.data.exclude = str(Path(cfg.data.exclude).resolve())
    check_out(out, resume=resume, overwrite=overwrite)
    return out


def _task_groups(mode: str, tasks: dict[str, TaskSpec]) -> list[dict[str, TaskSpec]]:
    """Shared: one group of all tasks. Separate: one group per task (the source article's way)."""
    return [tasks] if mode == "shared" else [{name: spec} for name, spec in tasks.items()]


def _batches(cfg: ExperimentConfig, data: PreparedData, fit_labels: np.ndarray, labels: np.ndarray,
             runtime: Runtime) -> tuple[Batches, Batches]:
    """Training batches read ``fit_labels`` (see ``training_labels``), validation batches ``labels``."""
    common = dict(batch_size=cfg.train.batch_size, device=runtime.device, channels_last=runtime.channels_last)
    train_b = Batches(data.images, fit_labels, data.splits["train"], shuffle=True, seed=cfg.train.seed, **common)
    val_b = Batches(data.images, labels, data.splits["val"], shuffle=False, **common)
    return train_b, val_b


def _callbacks(cfg: ExperimentConfig, folder: Path, tasks: dict[str, TaskSpec], extra: list[Callback]) -> list:
    monitor, mode = monitored_metric(cfg.train.monitor, tasks)
    # ModelCheckpoint goes last (before the console line, which keeps no state) so last.pt holds the other
    # callbacks' updated state.
    checkpoint = ModelCheckpoint(folder / "checkpoints", monitor, mode=mode)
    prefix = f"{next(iter(tasks))}: " if cfg.train.mode == "separate" else ""
    line = [EpochLine(cfg.train.epochs, checkpoint, prefix=prefix)] if distributed.is_main() else []
    return [CSVLogger(folder / "history.csv"), TensorBoardLogger(folder / "tb"),
            EarlyStopping(monitor, patience=cfg.train.patience, mode=mode, min_delta=cfg.train.min_delta),
            *extra, checkpoint, *line]


def monitored_metric(monitor: str, tasks: dict[str, TaskSpec]) -> tuple[str, str]:
    """Check ``train.monitor`` names a logged metric; accuracies are maximised, losses and MAEs minimised.

    ``val_acc`` with only regression tasks falls back to ``val_mae``; in separate mode a per-task
    metric of another task falls back to the network's own one (acc or mae, whichever it logs).
    """
    base, _, task = monitor.partition("/")
    valid_bases = [f"{split}_{kind}" for split in ("val", "train") for kind in ("loss", "acc", "mae")]
    if base not in valid_bases or (task and task not in tasks and len(tasks) > 1):
        examples = ", ".join(valid_bases + [f"val_acc/{next(iter(tasks))}"])
        raise ToonlabError(f"train.monitor must name a logged metric such as {examples}. Received: {monitor!r}")
    if task and task not in tasks:
        task = next(iter(tasks))
    split, _, kind = base.partition("_")
    regression = [tasks[t].is_regression for t in ([task] if task else tasks)]
    if kind == "acc" and all(regression):
        kind = "mae"  # only regression tasks here: no accuracy is logged, their MAE is
    elif kind == "mae" and not any(regression):
        kind = "acc"  # e.g. separate mode with val_mae: a classification task's network monitors accuracy
    monitor = f"{split}_{kind}" + (f"/{task}" if task else "")
    return monitor, "max" if kind == "acc" else "min"


def _meta(cfg: ExperimentConfig, tasks: dict[str, TaskSpec], train_labels: np.ndarray) -> dict[str, Any]:
    """The parts of a checkpoint that describe the model rather than the optimisation."""
    return {
        "toonlab_version": __version__,
        "config": to_dict(cfg),
        "tasks": tasks_to_dict(tasks),
        "majority": majority_classes(train_labels, tasks),
        "preprocessing": {"image_size": cfg.data.image_size, "background": cfg.data.background,
                          "grayscale": cfg.data.grayscale,
                          "mean": list(MEAN), "std": list(STD)},
    }


def _place(model: torch.nn.Module, runtime: Runtime) -> torch.nn.Module:
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    return model.to(runtime.device, memory_format=fmt)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

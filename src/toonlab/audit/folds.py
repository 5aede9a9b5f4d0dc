"""Out-of-fold class probabilities: K small networks, each predicting the one fold it never trained on.

Each fold trains one shared multi-head network with the library's own :func:`toonlab.workflows.pipeline.train_network`
(its checkpoints and history land in ``OUT/folds/fold-<k>/``), on the fast recipe of
:func:`toonlab.audit.recipe.audit_config` unless the caller's config says otherwise. The folds are dealt as
``toonlab train --folds K`` deals them (same seed, stratification and groups), so every image is predicted
exactly once by a network that did not see its label.

Example:
    >>> probs = out_of_fold(cfg, data, tasks, Path("audit/folds"), runtime)  # doctest: +SKIP
    >>> probs["hair"].shape  # doctest: +SKIP
    (2000, 111)
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from toonlab.budget import format_duration
from toonlab.config import ExperimentConfig
from toonlab.data.batches import Batches
from toonlab.data.dataset import PreparedData, stratify_column
from toonlab.data.samples import TaskSpec
from toonlab.data.splits import make_folds
from toonlab.runtime import Runtime
from toonlab.inference.predict import predict
from toonlab.workflows.pipeline import budget_deadline, train_network

log = logging.getLogger(__name__)


def out_of_fold(cfg: ExperimentConfig, data: PreparedData, tasks: dict[str, TaskSpec], folder: Path,
                runtime: Runtime) -> dict[str, np.ndarray]:
    """``{task: (N, K) probabilities}`` for every row of ``data``, each from the network that held it out.

    ``cfg.data.folds`` networks are trained (``cfg.train.budget``, when set, is shared equally between them).
    """
    start = time.perf_counter()
    deadline = budget_deadline(cfg.train, start)
    folds = audit_folds(cfg, data)
    probs = {name: np.full((len(data.rel_paths), spec.num_classes), np.nan, np.float32) for name, spec in tasks.items()}
    for i, fold in enumerate(folds):
        data.splits = fold
        seconds = None if deadline is None else (deadline - time.perf_counter()) / (len(folds) - i)
        state = train_network(cfg, data, tasks, folder / f"fold-{i + 1}", runtime, seconds=seconds)
        for name, values in predict_rows(state.model, data, fold["test"], runtime).items():
            probs[name][fold["test"]] = values
        _log_progress(i + 1, len(folds), start)
    return probs


def audit_folds(cfg: ExperimentConfig, data: PreparedData) -> list[dict[str, np.ndarray]]:
    """The K folds of ``toonlab train --folds K``: stratified by the split's task, groups kept whole."""
    strat = data.stratified_by
    column = stratify_column(data.labels[:, list(data.tasks).index(strat)], data.tasks[strat]) if strat else None
    return make_folds(len(data.rel_paths), k=cfg.data.folds, seed=cfg.train.seed,
                      val_fraction=cfg.data.val_fraction, stratify=column, groups=data.groups)


def predict_rows(model, data: PreparedData, rows: np.ndarray, runtime: Runtime) -> dict[str, np.ndarray]:
    """Per task the model's class probabilities for ``rows`` of ``data``, in the order of ``rows``."""
    batches = Batches(data.images, np.zeros((len(data.images), 0), np.float32), rows, batch_size=256,
                      device=runtime.device, channels_last=runtime.channels_last)
    return predict(model, batches, runtime=runtime)


def _log_progress(done: int, total: int, start: float) -> None:
    spent = time.perf_counter() - start
    left = f"; about {format_duration(spent / done * (total - done))} to go" if done < total else ""
    log.info("Audit fold %d of %d done (%s so far%s).", done, total, format_duration(spent), left)

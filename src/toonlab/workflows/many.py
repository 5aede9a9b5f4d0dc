"""Several runs from one command: k-fold cross-validation (``data.folds``) or repeated seeds (``train.repeats``).

Each member is a complete run folder (``RUN/fold-1`` … or ``RUN/seed-0`` …) that ``toonlab eval``
understands on its own; ``RUN/metrics.json`` holds every member's metrics and the mean ± std per
task. The data is loaded, cached and de-duplicated once. Folds are stratified by the same task as
the plain split and keep groups whole; repeats share one split and vary the training seed, so
their spread is the spread of training, not of the split (seed 002 trains five times this way).

Example:
    >>> cfg = resolve_config(overrides=["data.path=toons", "data.folds=5"])  # doctest: +SKIP
    >>> summary = train(cfg, "runs/cv")  # doctest: +SKIP
    >>> summary["tasks"]["hair"]["accuracy"]["mean"]  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import logging
import time
from pathlib import Path
from typing import Any

from toonlab.config import ExperimentConfig, save_config
from toonlab.data.dataset import SPLITS_FILE, PreparedData, prepare_data, stratify_column
from toonlab.data.splits import load_splits, make_folds, save_splits
from toonlab.evaluate.aggregate import aggregate
from toonlab.progress import Progress
from toonlab.runs import CONFIG_FILE, METRICS_FILE
from toonlab.runtime import Runtime
from toonlab.workflows.pipeline import budget_deadline, run_kind, train_prepared

log = logging.getLogger(__name__)


def train_many(cfg: ExperimentConfig, out: Path, runtime: Runtime, *, resume: bool = False,
               command: str = "") -> dict[str, Any]:
    """Train every fold or repeat into ``out/<member>`` and write the summary to ``out/metrics.json``."""
    deadline = budget_deadline(cfg.train, time.perf_counter())  # the members share the budget equally
    kind = run_kind(cfg)
    data = prepare_data(cfg.data, seed=cfg.train.seed, for_training=True,
                        progress=Progress("cache", enabled=cfg.train.progress))
    base_splits = data.splits
    folds = _folds(cfg, data) if kind == "folds" else None
    save_config(cfg, out / CONFIG_FILE)  # only now: a bad --folds must not leave a run that needs --resume
    results: dict[str, dict[str, Any]] = {}
    members = member_configs(cfg)
    for i, (name, member) in enumerate(members):
        folder = out / name
        if resume and (folder / METRICS_FILE).exists():
            results[name] = json.loads((folder / METRICS_FILE).read_text(encoding="utf-8"))
            continue
        data.splits = _member_splits(folder, data, folds[i] if folds else base_splits, resume)
        folder.mkdir(parents=True, exist_ok=True)
        log.info("%s %d of %d: %s", "Fold" if folds else "Repeat", i + 1, len(members), folder)
        resume_member = resume and (folder / CONFIG_FILE).exists()
        share = None if deadline is None else time.perf_counter() + (deadline - time.perf_counter()) / (len(members) - i)
        results[name] = train_prepared(member, data, folder, runtime, resume=resume_member, command=command,
                                       deadline=share)
    summary = aggregate(results, kind=kind, extra={"command": command, "seed": cfg.train.seed})
    (out / METRICS_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def member_configs(cfg: ExperimentConfig) -> list[tuple[str, ExperimentConfig]]:
    """``[(folder name, config)]``: one per fold (``fold-1`` …) or per seed (``seed-S`` …)."""
    out = []
    if run_kind(cfg) == "folds":
        for k in range(1, cfg.data.folds + 1):
            member = copy.deepcopy(cfg)
            member.data.folds = 0
            out.append((f"fold-{k}", member))
        return out
    for i in range(cfg.train.repeats):
        member = copy.deepcopy(cfg)
        member.train.repeats, member.train.seed = 1, cfg.train.seed + i
        out.append((f"seed-{member.train.seed}", member))
    return out


def _folds(cfg: ExperimentConfig, data: PreparedData) -> list[dict]:
    strat = data.stratified_by
    column = stratify_column(data.labels[:, list(data.tasks).index(strat)], data.tasks[strat]) if strat else None
    return make_folds(len(data.rel_paths), k=cfg.data.folds, seed=cfg.train.seed, val_fraction=cfg.data.val_fraction,
                      stratify=column, groups=data.groups)


def _member_splits(folder: Path, data: PreparedData, splits: dict, resume: bool) -> dict:
    """The member's saved split when resuming (it must still match the data), else ``splits``, saved."""
    path = folder / SPLITS_FILE
    if resume and path.exists():
        return load_splits(path, data.rel_paths)
    folder.mkdir(parents=True, exist_ok=True)
    save_splits(path, data.rel_paths, splits)
    return splits

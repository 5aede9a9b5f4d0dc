"""``toonlab audit``: rank the given labels most likely to be wrong, per task, from out-of-fold predictions.

Steps: read and split the data as ``train --folds K`` would, train one small network per fold
(:mod:`toonlab.audit.folds`), flag per classification task the labels that another class confidently
beats (:mod:`toonlab.audit.confident`), and write into ``out``:

```
OUT/
  audit.csv     file,task,given,suggested,confidence,rank,given_probability: every flagged label
  audit.html    the flagged images with thumbnails of the image, the given and the suggested class
  audit.json    per task: images audited, out-of-fold accuracy, flags; the plan and its cost
  oof_probs.npz the out-of-fold class probabilities per task (float16), to rank again without training
  config.yaml   the config the fold networks trained with
  folds/fold-<k>/   each fold network's checkpoints and history
```

``toonlab train DATA --exclude OUT/audit.csv`` then trains without the flagged images (edit the CSV
first to keep those whose labels are right).

Example:
    >>> result = audit_data(cfg, "audits/faces")  # doctest: +SKIP
    >>> result.tasks["hair_color"]["flagged"]  # doctest: +SKIP
    12
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toonlab.audit.folds import out_of_fold
from toonlab.audit.page import write_page
from toonlab.audit.recipe import check_folds
from toonlab.audit.table import rank_tasks, write_audit_csv
from toonlab.budget import format_duration
from toonlab.config import ExperimentConfig, save_config, validate
from toonlab.console import ensure_console
from toonlab.data.dataset import prepare_data, write_skipped
from toonlab.errors import ToonlabError
from toonlab.progress import Progress
from toonlab.runs import CONFIG_FILE
from toonlab.runtime import resolve_runtime, set_threads

log = logging.getLogger(__name__)

AUDIT_FILE = "audit.csv"
PAGE_FILE = "audit.html"
SUMMARY_FILE = "audit.json"
PROBS_FILE = "oof_probs.npz"


@dataclass
class AuditResult:
    """What :func:`audit_data` found and wrote.

    Attributes:
        out: the audit folder.
        rows: the rows of audit.csv (dicts with its columns), by task, then rank.
        tasks: per audited task ``audited``, ``flagged``, ``oof_accuracy``, ``not_drawn``, ``reliable``.
        left_out: tasks not audited and why (regression tasks).
        plan: the fold networks in words; ``seconds``: the audit's wall time.
    """

    out: Path
    rows: list[dict[str, Any]]
    tasks: dict[str, dict]
    left_out: dict[str, str] = field(default_factory=dict)
    plan: str = ""
    seconds: float = 0.0

    @property
    def csv(self) -> Path:
        return self.out / AUDIT_FILE

    @property
    def page(self) -> Path:
        return self.out / PAGE_FILE


def audit_data(cfg: ExperimentConfig, out: str | Path, *, command: str = "") -> AuditResult:
    """Audit the labels of ``cfg.data.path`` into the folder ``out`` (see the module); returns the result.

    Raises:
        ToonlabError: no data folder, fewer than two folds, no classification task, a bad config, or ``out``
            holding something that is not an audit.
    """
    ensure_console()
    start = time.perf_counter()
    _check(cfg)
    out = _prepare_folder(Path(out))
    set_threads(cfg.train.threads)
    runtime = resolve_runtime(device=cfg.train.device, precision=cfg.train.precision,
                              channels_last=cfg.train.channels_last)
    data = prepare_data(cfg.data, seed=cfg.train.seed, for_training=True, progress=Progress(
        "cache", enabled=cfg.train.progress), detect_duplicates=cfg.data.duplicates != "report")
    tasks = {n: s for n, s in data.tasks.items() if not s.is_regression}
    left_out = {n: "regression (only class labels are audited)" for n, s in data.tasks.items() if s.is_regression}
    if not tasks:
        raise ToonlabError(f"Nothing to audit in {cfg.data.path!r}: every task is a regression ({', '.join(left_out)}); "
                           "the audit ranks class labels.")
    save_config(cfg, out / CONFIG_FILE)
    write_skipped(out / "skipped.csv", data.skipped)
    plan = describe_plan(cfg, len(data.rel_paths))
    log.info("Audit: %s; %d images used, %d skipped.", plan, len(data.rel_paths), len(data.skipped))
    probs = out_of_fold(cfg, data, tasks, out / "folds", runtime)
    rows, summary = rank_tasks(data, probs)
    result = AuditResult(out, rows, summary, left_out, plan, round(time.perf_counter() - start, 1))
    _write(result, data, probs, command)
    return result


def describe_plan(cfg: ExperimentConfig, n: int) -> str:
    """E.g. ``5 folds x 8 epochs of cnn 32-64-128 at 32 px, about 1,600 training images each``."""
    epochs = f"{cfg.train.epochs} epoch{'s' * (cfg.train.epochs != 1)}" if cfg.train.epochs else "epochs by data size"
    if cfg.train.budget:
        epochs = f"{epochs} within --budget {cfg.train.budget}"
    model = cfg.model.name + (f" {'-'.join(map(str, cfg.model.widths))}" if cfg.model.name == "cnn" else "")
    per_fold = round(n * (1 - 1 / cfg.data.folds) * (1 - cfg.data.val_fraction))
    return f"{cfg.data.folds} folds x {epochs} of {model} at {cfg.data.image_size} px, about {per_fold:,} training " \
           "images each"


def _check(cfg: ExperimentConfig) -> None:
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA or a run folder (`toonlab audit DATA`), or set data.path in "
                           "--config.")
    check_folds(cfg)
    validate(cfg)
    if cfg.train.repeats != 1:
        raise ToonlabError(f"The audit trains one network per fold; leave train.repeats at 1. Received: "
                           f"{cfg.train.repeats!r}")
    cfg.data.path = str(Path(cfg.data.path).resolve())


def _prepare_folder(out: Path) -> Path:
    """``out``, created; an earlier audit there is replaced, any other non-empty folder refused."""
    if out.exists() and any(out.iterdir()):
        if not (out / AUDIT_FILE).exists() and not (out / "folds").exists():
            raise ToonlabError(f"{str(out)!r} already holds other files. Pass a new folder with --out (an earlier "
                               "audit's folder is replaced).")
        shutil.rmtree(out / "folds", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _write(result: AuditResult, data, probs, command: str) -> None:
    write_audit_csv(result.csv, result.rows)
    cost = f"{result.plan}; took {format_duration(result.seconds)}"
    write_page(result.page, data, result.rows, result.tasks, probs, subtitle=f"{data.root} · {cost}")
    summary = {"data": str(data.root), "plan": result.plan, "seconds": result.seconds, "tasks": result.tasks,
               "left_out": result.left_out, "images": {"used": len(data.rel_paths), "skipped": len(data.skipped)},
               "flagged": len(result.rows), "command": command}
    (result.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    write_probs(result.out / PROBS_FILE, data.rel_paths, probs)


def write_probs(path: Path, files: list[str], probs: dict[str, np.ndarray]) -> None:
    """``oof_probs.npz``: ``__files__`` (the images, relative to the data folder) and, per task, the (N, K)
    out-of-fold probabilities (float16), to rank again without training:
    ``find_label_issues(np.load(path)["hair"], given)``."""
    np.savez_compressed(path, __files__=np.array(files), **{task: p.astype(np.float16) for task, p in probs.items()})

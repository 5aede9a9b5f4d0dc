"""``toonlab compare DATA --models mlp,cnn,features,last_layer,finetune``: several approaches, one split, one table.

Seed 002 §2 compares on one face data set an MLP on raw pixels, a pretrained network as a frozen
feature extractor with an MLP head, and the pretrained network with only its last layer retrained.
Here each approach is a config switch on the same base config and seed (so the same split):

- ``mlp``, ``cnn``: toonlab's raw-pixel MLP and configurable CNN;
- ``features``, ``last_layer``, ``finetune``, ``scratch``: the pretrained ``--backbone`` (default
  efficientnet_lite0) in that ``model.transfer`` mode.

Each approach is a normal run folder ``OUT/<approach>/``; the table (``OUT/compare.csv``) gives the
train and validation accuracy of the best epoch, the test accuracy and the wall time.

Example:
    >>> rows = compare(cfg, ["mlp", "cnn", "features"], "runs/compare")  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import csv
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from toonlab.config import ExperimentConfig, validate
from toonlab.config_checks.model import NO_WEIGHTS
from toonlab.errors import ToonlabError
from toonlab.models.transfer import TRANSFER_MODES
from toonlab.runs import default_run_dir, history_files, read_history
from toonlab.text_table import format_table
from toonlab.workflows.train import train

log = logging.getLogger(__name__)
OWN = ("mlp", "cnn")
APPROACHES = OWN + TRANSFER_MODES


@dataclass
class Approach:
    """One row of the comparison."""

    name: str
    model: str
    train_acc: float
    val_acc: float
    test_acc: float
    epochs: int
    wall_time_s: float


def approach_config(cfg: ExperimentConfig, approach: str, backbone: str) -> ExperimentConfig:
    """The base config switched to ``approach`` (the base is a template: each approach's config is validated)."""
    if approach not in APPROACHES:
        raise ToonlabError(f"Unknown approach {approach!r} in --models; choose from {', '.join(APPROACHES)}.")
    out = copy.deepcopy(cfg)
    if approach in OWN:
        out.model.name = approach
        if out.model.weights not in NO_WEIGHTS:  # a backbone's weights file: toonlab's own networks start at random
            out.model.weights = "none"
    else:
        out.model.name, out.model.transfer = backbone, approach
    return out


def compare(cfg: ExperimentConfig, approaches: list[str], out: str | Path | None = None, *,
            backbone: str = "efficientnet_lite0", resume: bool = False, overwrite: bool = False) -> list[Approach]:
    """Train each approach into ``out/<approach>`` on the same split; return and save the table.

    ``out`` defaults to ``runs/compare-<data folder name>-<YYYYmmdd-HHMMSS>``; ``overwrite`` replaces the
    runs of these approaches already there (``resume`` skips the finished ones and continues the rest).
    """
    configs = [(a, validate(approach_config(cfg, a, backbone))) for a in approaches]  # all checked before any trains
    if resume and overwrite:
        raise ToonlabError("--resume continues the approaches in --out and --overwrite replaces them; give one of "
                           "them. Received: --resume --overwrite")
    out = Path(out) if out is not None else default_run_dir(cfg.data.path, prefix="compare-")
    rows = []
    for name, variant in configs:
        folder = out / name
        if not (resume and (folder / "metrics.json").exists()):
            log.info("Training %s (%s).", name, variant.model.name)
            train(variant, folder, resume=resume and (folder / "config.yaml").exists(), overwrite=overwrite,
                  command=f"toonlab compare ({name})")
        rows.append(read_approach(name, variant.model.name, folder))
    write_csv(rows, out / "compare.csv")
    return rows


def read_approach(name: str, model: str, folder: Path) -> Approach:
    """Best-epoch train/val accuracy (by validation loss, as the checkpoint), test accuracy and wall time."""
    import json

    history = read_history(history_files(folder)[0])
    best = min(history, key=lambda row: row.get("val_loss", math.inf))
    metrics = json.loads((folder / "metrics.json").read_text())
    return Approach(name, model, best.get("train_acc", math.nan), best.get("val_acc", math.nan),
                    float(metrics.get("mean_accuracy", math.nan)), len(history), float(metrics.get("wall_time_s", 0)))


def write_csv(rows: list[Approach], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["approach", "model", "train_acc", "val_acc", "test_acc", "epochs", "wall_time_s"])
        w.writerows([r.name, r.model, r.train_acc, r.val_acc, r.test_acc, r.epochs, r.wall_time_s] for r in rows)


def format_comparison(rows: list[Approach]) -> str:
    """The comparison as an aligned text table (accuracies in %)."""
    head = ["approach", "model", "train acc", "val acc", "test acc", "epochs", "wall s"]
    return format_table(head, [[r.name, r.model, _pct(r.train_acc), _pct(r.val_acc), _pct(r.test_acc), str(r.epochs),
                                f"{r.wall_time_s:.0f}"] for r in rows])


def _pct(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{100 * value:.1f}%"

"""The data a trained run is applied to: its own images, labels and split, or another folder read like it.

``toonlab eval``, ``eval --robustness`` and ``toonlab explain`` (true labels beside the prediction,
masks for scores) all read a run's data through :func:`load_run_data`, and compare a network's outputs
with the data's labels through :func:`model_labels` (the model's own class order).

Example:
    >>> cfg, data, runtime, split = load_run_data(Path("runs/demo"))  # doctest: +SKIP
    >>> y, hidden = model_labels(data, net.tasks["hair"], data.splits[split])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from toonlab.config import set_option
from toonlab.data.dataset import PreparedData, prepare_data
from toonlab.data.samples import TaskSpec
from toonlab.data.splits import SplitMismatch
from toonlab.errors import ToonlabError
from toonlab.progress import Progress
from toonlab.runs import load_run_config
from toonlab.runtime import resolve_runtime

log = logging.getLogger(__name__)


def load_run_data(run: Path, data: str | Path | None = None, *, split: str = "test",
                  data_options: dict[str, Any] | None = None, detect_duplicates: bool = True, progress: bool = False):
    """``(config, prepared data, runtime, split)`` to run ``run``'s networks on: the run's own split of its own
    data, or every usable image of another ``data`` folder (then the split is ``test``).

    ``data_options`` replace the run's data options (``{"tasks": ...}``) for a folder laid out differently.
    """
    cfg = load_run_config(run)
    for key, value in (data_options or {}).items():
        if value is not None:
            set_option(cfg, f"data.{key}", value)
    if data is not None:
        cfg.data.path = str(data)
    runtime = resolve_runtime(device=cfg.train.device, precision=cfg.train.precision,
                              channels_last=cfg.train.channels_last)
    try:
        prepared = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=run, reuse_splits=True,
                                detect_duplicates=detect_duplicates, progress=Progress("cache", enabled=progress))
    except SplitMismatch:
        if data is None:
            raise
        cfg.data.subset = 0  # another folder: every usable image, not the run's training sample
        prepared = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=None, detect_duplicates=detect_duplicates,
                                progress=Progress("cache", enabled=progress))
        prepared.splits = {"train": np.array([], np.int64), "val": np.array([], np.int64),
                           "test": np.arange(len(prepared.rel_paths))}
        split = "test"
        log.info("%s is not the run's data; evaluating on all %d usable images.", data, len(prepared.rel_paths))
    return cfg, prepared, runtime, split


def model_labels(data: PreparedData, spec: TaskSpec, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The true labels of ``rows`` for a model's task, as class indices of the *model's* classes
    (matched by name, so data with fewer or reordered classes is scored right), and the hidden mask.
    A class the model never saw has no model index: those images are counted out with a warning."""
    if spec.name not in data.tasks:
        raise ToonlabError(f"The data has no labels for task {spec.name!r}, which the model predicts. "
                           f"Read it with the same label options as the training run (its config.yaml, data section). "
                           f"Tasks in the data: {', '.join(data.tasks)}.")
    j = list(data.tasks).index(spec.name)
    y, hidden = data.labels[rows, j], data.hidden[rows, j]
    if spec.is_regression:
        return y, hidden
    own = {c: i for i, c in enumerate(spec.classes)}
    lookup = np.array([own.get(c, np.nan) for c in data.tasks[spec.name].classes] + [np.nan], dtype=np.float32)
    mapped = lookup[np.where(np.isnan(y), len(lookup) - 1, y).astype(np.int64)]
    unknown = int((np.isnan(mapped) & ~np.isnan(y)).sum())
    if unknown:
        log.warning("%d image(s) have a %s class the model was not trained on; they are left out of its metrics.",
                    unknown, spec.name)
    return mapped, hidden

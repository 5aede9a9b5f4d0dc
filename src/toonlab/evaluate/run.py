"""``toonlab eval``: recompute the per-task test table of a run from its best checkpoints.

Example:
    >>> metrics = evaluate_run("runs/first")  # doctest: +SKIP
    >>> print(format_table(metrics))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import logging
import platform
from pathlib import Path
from typing import Any

import numpy as np

from toonlab import __version__
from toonlab.data.batches import Batches
from toonlab.data.dataset import PreparedData, prepare_data
from toonlab.data.splits import SplitMismatch
from toonlab.config import EvalConfig
from toonlab.evaluate.artifacts import write_task_files
from toonlab.evaluate.metrics import mean_accuracy, regression_metrics, task_metrics
from toonlab.runs import METRICS_FILE, PREDICTIONS_FILE, best_checkpoints, load_run_config, model_from_checkpoint
from toonlab.runtime import Runtime, resolve_runtime
from toonlab.train.loop import predict

log = logging.getLogger(__name__)


def evaluate_run(run: str | Path, data: str | Path | None = None, *, split: str = "test") -> dict[str, Any]:
    """Evaluate every best checkpoint of ``run`` on its test split (or on all of another ``data`` folder).

    With ``data`` pointing at the run's own data the saved split is reused; for a different
    folder every usable image is evaluated and metrics.json says so.
    """
    run = Path(run)
    cfg = load_run_config(run)
    if data is not None:
        cfg.data.path = str(data)
    runtime = resolve_runtime(device=cfg.train.device, precision=cfg.train.precision,
                              channels_last=cfg.train.channels_last)
    try:
        prepared = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=run, reuse_splits=True)
    except SplitMismatch:
        if data is None:
            raise
        prepared = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=None)
        prepared.splits = {"train": np.array([], np.int64), "val": np.array([], np.int64),
                           "test": np.arange(len(prepared.rel_paths))}
        split = "test"
        log.info("%s is not the run's data; evaluating on all %d usable images.", data, len(prepared.rel_paths))
    return evaluate_prepared(run, prepared, runtime, split=split, extra=_previous_extra(run), options=cfg.eval)


def evaluate_prepared(
    run: Path, data: PreparedData, runtime: Runtime, *, split: str = "test", extra: dict[str, Any] | None = None,
    options: EvalConfig | None = None,
) -> dict[str, Any]:
    """Predict ``split`` with each best checkpoint; write metrics.json, predictions.csv and the per-task
    files under RUN/eval/ (confusion matrices, mistakes, plots); return the metrics."""
    options = options or EvalConfig()
    rows = data.splits[split]
    files = [data.rel_paths[r] for r in rows]
    tasks_out: dict[str, Any] = {}
    probs_all: dict[str, np.ndarray] = {}
    for path in best_checkpoints(run):
        model, tasks, ckpt = model_from_checkpoint(path, runtime.device)
        cols = [list(data.tasks).index(t) for t in tasks]
        batches = Batches(data.images, data.labels[:, cols], rows, batch_size=256, device=runtime.device,
                          channels_last=runtime.channels_last)
        probs = predict(model, batches, runtime=runtime)
        for name, col in zip(tasks, cols):
            tasks_out[name] = _metrics(probs[name], data, rows, col, tasks[name], ckpt)
            tasks_out[name].update(write_task_files(run, name, tasks[name], files, data.labels[rows, col], probs[name],
                                                    top=options.mistakes, plots=options.plots))
            probs_all[name] = probs[name]
    metrics = _summary(data, runtime, split, tasks_out, extra or {})
    (run / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    _write_predictions(run / PREDICTIONS_FILE, data, rows, probs_all)
    return metrics


def _metrics(out: np.ndarray, data: PreparedData, rows: np.ndarray, col: int, spec, ckpt: dict) -> dict[str, Any]:
    if spec.is_regression:
        return regression_metrics(out, data.labels[rows, col], spec)
    return task_metrics(out, data.labels[rows, col], data.hidden[rows, col], spec, majority=int(ckpt["majority"][spec.name]))


def _summary(data: PreparedData, runtime: Runtime, split: str, tasks: dict[str, Any], extra: dict[str, Any]) -> dict:
    ordered = {name: tasks[name] for name in data.tasks if name in tasks}
    return {
        "tasks": ordered,
        "mean_accuracy": mean_accuracy(ordered),
        "split": split,
        "splits": data.split_sizes(),
        "stratified_by": data.stratified_by,
        "images": {"found": data.found, "used": len(data.rel_paths), "skipped": len(data.skipped)},
        "data": str(data.root),
        "device": runtime.describe(),
        "cpu": platform.processor() or platform.machine(),
        "toonlab_version": __version__,
        **{k: v for k, v in extra.items() if k not in ("tasks", "mean_accuracy")},
    }


def _previous_extra(run: Path) -> dict[str, Any]:
    """Keep the training facts (seed, wall time, command) when eval rewrites metrics.json."""
    path = run / METRICS_FILE
    if not path.exists():
        return {}
    old = json.loads(path.read_text(encoding="utf-8"))
    return {k: old[k] for k in ("seed", "mode", "image_size", "wall_time_s", "command") if k in old}


def _write_predictions(path: Path, data: PreparedData, rows: np.ndarray, outputs: dict[str, np.ndarray]) -> None:
    """One row per image: per task the true and predicted class and its probability (classification)
    or the true and predicted value (regression, probability column empty)."""
    names = [t for t in data.tasks if t in outputs]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file"] + [f"{t}_{c}" for t in names for c in ("true", "pred", "prob")])
        for i, row in enumerate(rows):
            cells: list[Any] = [data.rel_paths[row]]
            for t in names:
                cells += _prediction_cells(data.tasks[t], data.labels[row, list(data.tasks).index(t)], outputs[t][i])
            writer.writerow(cells)


def _prediction_cells(spec, label: float, out: np.ndarray) -> list[str]:
    if spec.is_regression:
        return ["" if np.isnan(label) else f"{label:g}", f"{float(out):.4g}", ""]
    k = int(out.argmax())
    true = "" if np.isnan(label) else spec.classes[int(label)]
    return [true, spec.classes[k] if k < len(spec.classes) else "", f"{out[k]:.4f}"]

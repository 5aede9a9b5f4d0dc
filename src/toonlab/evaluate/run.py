"""``toonlab eval``: recompute the per-task test table of a run from its best checkpoints.

Example:
    >>> metrics = evaluate_run("runs/first")  # doctest: +SKIP
    >>> print(format_metrics(metrics))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import logging
import platform
from pathlib import Path
from typing import Any

import numpy as np

import toonlab.provenance as provenance
from toonlab.atomic import replacing, write_text_atomic
from toonlab.config import EvalConfig
from toonlab.console import ensure_console
from toonlab.data.batches import Batches
from toonlab.data.dataset import PreparedData, duplicate_report
from toonlab.data.fingerprint import data_fingerprint
from toonlab.evaluate.advice import advise_run
from toonlab.evaluate.aggregate import aggregate
from toonlab.evaluate.artifacts import write_task_files
from toonlab.evaluate.metrics import mean_accuracy, regression_metrics, task_metrics
from toonlab.inference.networks import model_from_checkpoint
from toonlab.inference.predict import predict
from toonlab.inference.run_data import load_run_data, model_labels
from toonlab.progress import track
from toonlab.runs import METRICS_FILE, PREDICTIONS_FILE, best_checkpoints, load_run_config, member_runs
from toonlab.runtime import Runtime
from toonlab.version import __version__

log = logging.getLogger(__name__)


def evaluate_run(
    run: str | Path, data: str | Path | None = None, *, split: str = "test", data_options: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate every best checkpoint of ``run`` on its test split (or on all of another ``data`` folder).

    With ``data`` pointing at the run's own data the saved split is reused; for a different
    folder every usable image is evaluated and metrics.json says so. ``data_options`` (``{"tasks": ...}``)
    replace the run's label options, for another folder laid out differently. A k-fold or repeated
    run evaluates each member and reports mean ± std. ``progress`` shows the image cache and the
    predictions going (see :mod:`toonlab.progress`).
    """
    ensure_console()
    run = Path(run)
    if is_multi_run(run):
        return _evaluate_members(run, data, split=split, data_options=data_options, progress=progress)
    own_data = data is None or Path(data).resolve() == Path(load_run_config(run).data.path).resolve()
    cfg, prepared, runtime, split = load_run_data(run, data, split=split, data_options=data_options,
                                                  progress=progress)
    extra = {**_previous_extra(run), "duplicates": duplicate_report(prepared)}
    return evaluate_prepared(run, prepared, runtime, split=split, extra=extra, options=cfg.eval, progress=progress,
                             compare_data=own_data)


def is_multi_run(run: Path) -> bool:
    """True for the parent folder of a k-fold or repeated-seed run (members in fold-*/ or seed-*/)."""
    return bool(member_runs(run))


def _evaluate_members(run: Path, data, *, split: str, data_options, progress: bool) -> dict[str, Any]:
    members = {p.name: evaluate_run(p, data, split=split, data_options=data_options, progress=progress)
               for p in member_runs(run)}
    kind = "folds" if next(iter(members)).startswith("fold-") else "repeats"
    old = _previous_extra(run)
    summary = aggregate(members, kind=kind, extra={k: old[k] for k in ("command", "seed") if k in old})
    write_text_atomic(run / METRICS_FILE, json.dumps(summary, indent=2))
    return summary


def evaluate_prepared(
    run: Path, data: PreparedData, runtime: Runtime, *, split: str = "test", extra: dict[str, Any] | None = None,
    options: EvalConfig | None = None, progress: bool = False, compare_data: bool = True,
) -> dict[str, Any]:
    """Predict ``split`` with each best checkpoint; write metrics.json (with per-task ``advice``, see
    :mod:`toonlab.evaluate.advice`), predictions.csv and the per-task files under RUN/eval/ (confusion
    matrices, mistakes, plots); return the metrics.

    metrics.json records the library versions and data fingerprint used (``versions``,
    ``data_fingerprint``) and, in ``changed_since_training``, what differs from the checkpoints'
    training, which is also logged as a warning (``compare_data=False``: versions only, for
    another data folder evaluated on purpose).
    """
    options = options or EvalConfig()
    now, changed = provenance.current(data_fingerprint(data)), []
    rows = data.splits[split]
    files = [data.rel_paths[r] for r in rows]
    tasks_out: dict[str, Any] = {}
    columns: dict[str, tuple[Any, np.ndarray, np.ndarray]] = {}  # task -> (spec, true labels, outputs)
    paths = best_checkpoints(run)
    for i, path in enumerate(paths, 1):
        model, tasks, ckpt = model_from_checkpoint(path, runtime.device)
        changed += [c for c in _changes(ckpt, now, compare_data) if c not in changed]
        batches = Batches(data.images, np.zeros((len(data.images), 0), np.float32), rows, batch_size=256,
                          device=runtime.device, channels_last=runtime.channels_last)
        desc = f"eval {split}" + (f" {i}/{len(paths)}" if len(paths) > 1 else "")
        outputs = predict(model, track(batches, desc, enabled=progress, unit="batch"), runtime=runtime)
        for name, spec in tasks.items():
            y, hidden = model_labels(data, spec, rows)
            tasks_out[name] = _metrics(outputs[name], y, hidden, spec, ckpt)
            tasks_out[name].update(write_task_files(run, name, spec, files, y, outputs[name],
                                                    top=options.mistakes, plots=options.plots))
            columns[name] = (spec, y, outputs[name])
    metrics = _summary(data, runtime, split, tasks_out, extra or {})
    metrics.update(versions=now["versions"], data_fingerprint=now["data"], changed_since_training=changed)
    if changed:
        log.warning("Since %s was trained: %s. Its metrics may differ from the ones training reported.",
                    run, "; ".join(changed))
    metrics["advice"] = [a.as_dict() for a in advise_run(run, metrics["tasks"])]
    write_text_atomic(run / METRICS_FILE, json.dumps(metrics, indent=2))
    _write_predictions(run / PREDICTIONS_FILE, files, columns)
    return metrics


def _changes(ckpt: dict[str, Any], now: dict[str, Any], compare_data: bool) -> list[str]:
    """What changed since the checkpoint was trained (a checkpoint from before provenance: its toonlab version)."""
    old = ckpt.get("toonlab_version")
    trained = ckpt.get("provenance") or {"versions": {"toonlab": old} if old else {}}
    return provenance.changes(trained, now, data=compare_data)


def _metrics(out: np.ndarray, y: np.ndarray, hidden: np.ndarray, spec, ckpt: dict) -> dict[str, Any]:
    if spec.is_regression:
        return regression_metrics(out, y, spec)
    return task_metrics(out, y, hidden, spec, majority=int(ckpt["majority"][spec.name]))


def _summary(data: PreparedData, runtime: Runtime, split: str, tasks: dict[str, Any], extra: dict[str, Any]) -> dict:
    ordered = {name: tasks[name] for name in data.tasks if name in tasks}
    return {
        "tasks": ordered,
        "mean_accuracy": mean_accuracy(ordered),
        "split": split,
        "splits": data.split_sizes(),
        "stratified_by": data.stratified_by,
        "images": _image_counts(data),
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


def _write_predictions(path: Path, files: list[str], columns: dict[str, tuple[Any, np.ndarray, np.ndarray]]) -> None:
    """One row per image: per task the true and predicted class and its probability (classification)
    or the true and predicted value (regression, probability column empty)."""
    with replacing(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file"] + [f"{t}_{c}" for t in columns for c in ("true", "pred", "prob")])
        for i, file in enumerate(files):
            cells: list[Any] = [file]
            for spec, y, out in columns.values():
                cells += _prediction_cells(spec, y[i], out[i])
            writer.writerow(cells)


def _prediction_cells(spec, label: float, out: np.ndarray) -> list[str]:
    if spec.is_regression:
        return ["" if np.isnan(label) else f"{label:g}", f"{float(out):.4g}", ""]
    k = int(out.argmax())
    true = "" if np.isnan(label) else spec.classes[int(label)]
    return [true, spec.classes[k], f"{out[k]:.4f}"]


def _image_counts(data: PreparedData) -> dict[str, int]:
    """found == used + skipped (+ left_out, the usable images a ``data.subset`` did not sample)."""
    counts = {"found": data.found, "used": len(data.rel_paths), "skipped": len(data.skipped)}
    return {**counts, "left_out": data.left_out} if data.left_out else counts

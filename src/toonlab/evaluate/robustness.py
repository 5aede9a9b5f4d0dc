"""Robustness: accuracy on validation images changed by fixed-severity transforms (seed 002, Table 7).

``robustness`` runs the model on the clean images and on each transform × severity of
:mod:`toonlab.evaluate.corruptions`, one batch at a time (transformed images are never all in
memory at once), and reports per-task accuracy (classification) or mean absolute error
(regression), plus the mean accuracy over the classification tasks.

Example:
    >>> result = robustness(model, cache, labels, val_rows, tasks, runtime)  # doctest: +SKIP
    >>> print(format_robustness(result))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from toonlab.data.batches import normalise
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.evaluate.corruptions import (DEFAULT_TRANSFORMS, TRANSFORMS, Transform, TransformFn,  # noqa: F401
                                          list_transforms, plan_transforms)
from toonlab.progress import Progress
from toonlab.runtime import Runtime
from toonlab.text_table import format_table


@torch.no_grad()
def robustness(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    tasks: dict[str, TaskSpec],
    runtime: Runtime,
    *,
    transforms: Sequence[str] | Mapping[str, Sequence[float]] | None = None,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Metrics of ``model`` on clean and on transformed images ``rows`` of ``images``.

    Each (transform, severity) draws from its own generator seeded by ``(seed, name, severity)``, so the
    same seed, rows and batch size give the same numbers, whatever other transforms are evaluated.

    Args:
        model: maps a normalised (B, 3, H, W) batch to ``{task: logits (B, K)}`` or ``{task: values (B,)}``.
        images: (N, H, W, 3) uint8 array (a memmap is fine: it is read one batch at a time).
        labels: (N, T) array, one column per task in ``tasks`` order; NaN (or a negative class) = no label.
        rows: the rows to evaluate (e.g. the validation split).
        tasks: task name → spec.
        runtime: device, precision and memory format.
        transforms: see :func:`plan_transforms` (default: ``DEFAULT_TRANSFORMS``).
        batch_size: images per forward pass.
        seed: base seed of the random transforms.
        progress: show the images done (a bar on a terminal, a few plain lines otherwise).

    Returns:
        A JSON-safe dict: ``seed``, ``n_images``, ``clean`` and ``transforms`` (a list, one entry per
        transform × severity with ``transform``, ``severity``, ``mean_accuracy``, ``change_pp`` and
        ``tasks``), and ``meanings`` (what each transform's severity means). A ``tasks`` entry holds
        ``kind``, ``n`` and ``accuracy`` or ``mae``; a metric with no labelled images is None.

    Example:
        >>> result = robustness(model, cache, labels, val_rows, tasks, runtime)  # doctest: +SKIP
        >>> print(format_robustness(result))  # doctest: +SKIP
    """
    _check_inputs(images, labels, rows, tasks, batch_size)
    plan = [("clean", 0.0), *plan_transforms(transforms)]
    generators = [_generator(seed, name, s, runtime.device) for name, s in plan]
    tallies = [_Tally(tasks) for _ in plan]
    model.eval()
    with Progress("robustness", total=len(rows), enabled=progress) as bar:
        for x8, y in _uint8_batches(images, labels, np.asarray(rows, np.int64), batch_size, runtime.device):
            for (name, s), g, tally in zip(plan, generators, tallies):
                x = x8 if name == "clean" else TRANSFORMS.get(name).fn(x8, s, g)
                tally.update(_forward(model, normalise(x, channels_last=runtime.channels_last), runtime, tasks), y)
            bar.update(len(x8))
    clean = tallies[0].summary()
    entries = [_entry(name, s, t.summary(), clean) for (name, s), t in zip(plan[1:], tallies[1:])]
    meanings = {name: TRANSFORMS.get(name).meaning for name, _ in plan[1:]}
    return {"seed": seed, "n_images": int(len(rows)), "clean": clean, "transforms": entries, "meanings": meanings}


class _Tally:
    """Running counts per task: labelled images and hits (classification) or absolute error (regression)."""

    def __init__(self, tasks: dict[str, TaskSpec]) -> None:
        self.tasks = tasks
        self.n = dict.fromkeys(tasks, 0)
        self.total = dict.fromkeys(tasks, 0.0)

    def update(self, preds: dict[str, np.ndarray], y: np.ndarray) -> None:
        for j, (name, spec) in enumerate(self.tasks.items()):
            col = y[:, j].astype(np.float64)
            mask = np.isfinite(col) if spec.is_regression else np.isfinite(col) & (col >= 0)
            p, t = preds[name][mask], col[mask]
            self.total[name] += float(np.abs(p - t).sum() if spec.is_regression else (p == t).sum())
            self.n[name] += int(mask.sum())

    def summary(self) -> dict[str, Any]:
        out = {}
        for name, spec in self.tasks.items():
            value = self.total[name] / self.n[name] if self.n[name] else None
            out[name] = {"kind": spec.kind, "mae" if spec.is_regression else "accuracy": value, "n": self.n[name]}
        accs = [m["accuracy"] for m in out.values() if m.get("accuracy") is not None]
        return {"mean_accuracy": float(np.mean(accs)) if accs else None, "tasks": out}


def _entry(name: str, severity: float, summary: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    mean, base = summary["mean_accuracy"], clean["mean_accuracy"]
    change = 100 * (mean - base) if mean is not None and base is not None else None
    return {"transform": name, "severity": severity, "mean_accuracy": mean, "change_pp": change,
            "tasks": summary["tasks"]}


def _uint8_batches(
    images: np.ndarray, labels: np.ndarray, rows: np.ndarray, batch_size: int, device: torch.device
) -> Iterator[tuple[Tensor, np.ndarray]]:
    """Yield (uint8 (B, 3, H, W) on ``device``, labels (B, T) numpy); rows sorted per batch for memmap reads."""
    for start in range(0, len(rows), batch_size):
        chunk = np.sort(rows[start : start + batch_size])
        x = torch.from_numpy(np.ascontiguousarray(images[chunk])).to(device).permute(0, 3, 1, 2)
        yield x, np.asarray(labels[chunk])


def _forward(model: nn.Module, x: Tensor, runtime: Runtime, tasks: dict[str, TaskSpec]) -> dict[str, np.ndarray]:
    """Predicted class index (classification) or value (regression) per task, as numpy float64."""
    with runtime.autocast():
        outputs = model(x)
    missing = [name for name in tasks if name not in outputs]
    if missing:
        raise ToonlabError(f"The model has no output for task(s) {missing}; it predicts {sorted(outputs)}. "
                           f"Received: tasks={list(tasks)}")
    preds = {}
    for name, spec in tasks.items():
        out = outputs[name].float()
        preds[name] = (out.reshape(-1) if spec.is_regression else out.argmax(1)).double().cpu().numpy()
    return preds


def _generator(seed: int, name: str, severity: float, device: torch.device) -> torch.Generator:
    key = zlib.crc32(f"{name}:{severity!r}".encode())
    state = int(np.random.SeedSequence([seed, key]).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(state)


def _check_inputs(
    images: np.ndarray, labels: np.ndarray, rows: Any, tasks: dict[str, TaskSpec], batch_size: int
) -> None:
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ToonlabError(f"robustness() expects images as a (N, H, W, 3) uint8 array. "
                           f"Received: dtype={images.dtype}, shape={tuple(images.shape)}")
    if labels.ndim != 2 or labels.shape[0] != images.shape[0] or labels.shape[1] != len(tasks):
        raise ToonlabError(f"robustness() expects labels shaped (N, T) = ({images.shape[0]}, {len(tasks)}), one "
                           f"column per task. Received: labels shape {tuple(labels.shape)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ToonlabError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    if len(rows) and (np.min(rows) < 0 or np.max(rows) >= images.shape[0]):
        raise ToonlabError(f"rows must index images (0..{images.shape[0] - 1}). "
                           f"Received: rows from {np.min(rows)} to {np.max(rows)}")


# --- reporting ----------------------------------------------------------------------------------------

MAX_TASK_COLUMNS = 6


def format_robustness(result: dict[str, Any]) -> str:
    """A plain-text table: one row for clean and one per transform × severity.

    Columns: transform, severity, mean accuracy over classification tasks, its change vs clean in
    percentage points, then accuracy (or MAE for regression) of the first ``MAX_TASK_COLUMNS`` tasks.

    Example:
        >>> r = {"clean": {"mean_accuracy": 0.9, "tasks": {"a": {"kind": "classification", "accuracy": 0.9}}},
        ...      "transforms": [{"transform": "vflip", "severity": 1.0, "mean_accuracy": 0.6, "change_pp": -30.0,
        ...                      "tasks": {"a": {"kind": "classification", "accuracy": 0.6}}}]}
        >>> print(format_robustness(r).splitlines()[3])
        vflip             1    60.00%     -30.00  60.00%
    """
    names = list(result["clean"]["tasks"])
    shown = names[:MAX_TASK_COLUMNS]
    header = ("transform", "severity", "mean acc", "change pp",
              *(f"{n} (MAE)" if result["clean"]["tasks"][n]["kind"] == "regression" else n for n in shown))
    rows = [_table_row("clean", "", result["clean"], "", shown)]
    for e in result["transforms"]:
        rows.append(_table_row(e["transform"], f"{e['severity']:g}", e, _signed(e["change_pp"]), shown))
    lines = [format_table(header, rows, right_from=1, rule=True)]
    if len(names) > len(shown):
        lines.append(f"({len(names) - len(shown)} more tasks in the JSON: {', '.join(names[len(shown):])})")
    return "\n".join(lines)


def _table_row(name: str, severity: str, summary: dict[str, Any], change: str, shown: list[str]) -> tuple[str, ...]:
    cells = []
    for task in shown:
        m = summary["tasks"][task]
        cells.append(_number(m.get("mae")) if m["kind"] == "regression" else _pct(m.get("accuracy")))
    return (name, severity, _pct(summary["mean_accuracy"]), change, *cells)


def _pct(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def _number(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.4g}"


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f}"


def write_robustness(path: str | Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as indented JSON to ``path`` (parent folders are created); returns the path.

    Example:
        >>> write_robustness(tmp / "robustness.json", result)  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    return path

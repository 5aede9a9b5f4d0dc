"""The report's evaluation sections: confusion matrices, the most confident mistakes and the
robustness table (the learning curves are in :mod:`toonlab.report.curves`).

Each ``*_section(folder)`` returns the section's markup, or None when the run holds nothing for it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from toonlab.report.charts import scatter_panel
from toonlab.report.confusion import confusion_from_csv
from toonlab.report.figures import png_file, thumbnail
from toonlab.report.files import ReportFolder, read_csv, read_json
from toonlab.report.html import (
    Raw,
    figure,
    image,
    join,
    missing,
    para,
    section,
    table,
    tag,
)
from toonlab.report.summary import num, pct
from toonlab.runs import PREDICTIONS_FILE

MAX_MISTAKES = 8  # rows (and thumbnails) per task; the CSV holds up to eval.mistakes


def confusion_section(folder: ReportFolder) -> Raw | None:
    """id ``confusion``: each task's confusion matrix (confusion.png, else a heatmap table from
    confusion.csv); regression tasks' predicted-vs-true scatter.png, else an SVG chart from predictions.csv."""
    parts, predictions = [], None
    for task, path in _eval_folders(folder):
        png = png_file(path / "confusion.png") or png_file(path / "scatter.png")
        if png:
            parts.append(figure(png, task))
        elif (path / "confusion.csv").is_file():
            parts.append(confusion_from_csv(path / "confusion.csv", _title(task, folder.metrics)))
        elif folder.metrics.get("tasks", {}).get(task, {}).get("kind") == "regression":
            predictions = predictions if predictions is not None else read_csv(folder.path / PREDICTIONS_FILE) or []
            parts.append(_scatter(task, predictions, folder.metrics))
    parts = [p for p in parts if p]
    return section("confusion", "Confusion matrices", *parts) if parts else None


def mistakes_section(folder: ReportFolder) -> Raw | None:
    """id ``mistakes``: per task the most confident mistakes (regression: the largest errors) with thumbnails."""
    root, thumbs = folder.data_root(), {}
    parts = []
    for task, path in _eval_folders(folder):
        rows = read_csv(path / "mistakes.csv") or read_csv(path / "errors.csv")
        if rows is None:
            continue
        summary = (folder.metrics.get("tasks", {}).get(task, {}).get("mistakes") or {}).get("summary")
        parts += [tag("h3", task), para(summary) if summary else None, _mistake_table(rows, root, thumbs)]
    if not parts:
        return None
    where = f"Images are read from {root}." if root else "The data folder is unknown, so no images are shown."
    return section("mistakes", "Most confident mistakes", para(where, cls="note"), *parts)


def robustness_section(folder: ReportFolder) -> Raw | None:
    """id ``robustness``: accuracy (MAE for regression) clean and under each transform × severity."""
    result = read_json(folder.path / "robustness.json")
    if not result or not isinstance(result.get("clean"), dict):
        return None
    tasks = list(result["clean"].get("tasks", {}))
    header = ["transform", "severity", "mean acc", "change pp", *tasks]
    rows = [_robust_row("clean", "", result["clean"], None, tasks)]
    rows += [_robust_row(e.get("transform", "?"), e.get("severity", ""), e, e.get("change_pp"), tasks)
             for e in result.get("transforms", [])]
    note = para(f"On the {result.get('split', 'validation')} split, {result.get('n_images', '?')} images, "
                f"seed {result.get('seed', '?')}.", cls="note")
    meanings = result.get("meanings") or {}
    legend = table(["transform", "what it does (s = severity)"], meanings.items()) if meanings else None
    return section("robustness", "Robustness", note, table(header, rows), legend)


def _eval_folders(folder: ReportFolder) -> list[tuple[str, Path]]:
    """``(task, RUN/eval/<task>)`` in the order of metrics.json's tasks, then any other folders."""
    base = folder.path / "eval"
    if not base.is_dir():
        return []
    names = list(folder.metrics.get("tasks", {}))
    by_folder = {n.replace("/", "_").replace("\\", "_"): n for n in names}
    found = sorted((p for p in base.iterdir() if p.is_dir()), key=lambda p: (
        names.index(by_folder[p.name]) if p.name in by_folder else len(names), p.name))
    return [(by_folder.get(p.name, p.name), p) for p in found]


def _scatter(task: str, rows: list[dict[str, str]], metrics: dict[str, Any]) -> Raw | None:
    """A regression task's predicted-vs-true chart from predictions.csv (when no scatter.png was drawn)."""
    true, pred = [_float(r.get(f"{task}_true")) for r in rows], [_float(r.get(f"{task}_pred")) for r in rows]
    if not any(math.isfinite(t) for t in true):
        return None
    mae = metrics.get("tasks", {}).get(task, {}).get("mae")
    return scatter_panel(f"{task} · MAE {num(mae)}" if mae is not None else task, true, pred)


def _float(text: str | None) -> float:
    try:
        return float(text) if text else math.nan
    except ValueError:
        return math.nan


def _title(task: str, metrics: dict[str, Any]) -> str:
    acc = metrics.get("tasks", {}).get(task, {}).get("accuracy")
    return f"{task} (accuracy {pct(acc)})" if acc is not None else task


def _mistake_table(rows: list[dict[str, str]], root: Path | None, thumbs: dict[str, Raw]) -> Raw:
    regression = bool(rows) and "error" in rows[0]
    header = ["image", "file", "true", "predicted", "error" if regression else "confidence"]
    body = [(_thumb(r.get("file", ""), root, thumbs), r.get("file", ""), r.get("true", ""), r.get("pred", ""),
             _value(r.get("error" if regression else "confidence", ""), regression))
            for r in rows[:MAX_MISTAKES]]
    more = para(f"… and {len(rows) - MAX_MISTAKES} more in the CSV.", cls="note") if len(rows) > MAX_MISTAKES else None
    return join([table(header, body), more]) if body else para("No mistakes.", cls="note")


def _thumb(file: str, root: Path | None, cache: dict[str, Raw]) -> Raw:
    if file not in cache:
        shown = thumbnail(root / file) if root and file else None
        cache[file] = image(shown[0], file, cls="thumb", mime=shown[1]) if shown else missing(file)
    return cache[file]


def _value(text: str, regression: bool) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return num(value) if regression else pct(value)


def _robust_row(name: str, severity: Any, entry: dict[str, Any], change: Any, tasks: list[str]) -> list[str]:
    cells = [name, f"{severity:g}" if isinstance(severity, (int, float)) else str(severity),
             pct(entry.get("mean_accuracy")), f"{change:+.2f}" if isinstance(change, (int, float)) else ""]
    for task in tasks:
        m = entry.get("tasks", {}).get(task, {})
        cells.append(num(m.get("mae")) if m.get("kind") == "regression" else pct(m.get("accuracy")))
    return cells

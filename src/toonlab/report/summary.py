"""The report's tables of the run itself: its test metrics, its data, and how it was made (command and
config, at the end of the page).

Each ``*_section(folder)`` returns the section's markup, or None when the run holds nothing for it.
"""

from __future__ import annotations

import math
from typing import Any

from toonlab.report.files import ReportFolder, read_csv
from toonlab.report.html import Raw, join, para, pre, section, table, tag

MAX_SKIPPED = 20  # skipped files listed; the rest are counted
MAX_CLUSTERS = 10  # duplicate clusters listed


def command_section(folder: ReportFolder) -> Raw | None:
    """id ``command``: the exact command line, and when, where and how long it ran."""
    m = folder.metrics
    facts = [("toonlab", m.get("toonlab_version")), ("device", m.get("device")), ("cpu", m.get("cpu")),
             ("seed", m.get("seed")), ("mode", m.get("mode")), ("image size", m.get("image_size")),
             ("train wall time", _seconds(m.get("wall_time_s"))), ("data", m.get("data"))]
    rows = [(k, v) for k, v in facts if v not in (None, "")]
    if not m.get("command") and not rows:
        return None
    command = pre(m["command"]) if m.get("command") else para("The command line was not recorded.", cls="note")
    return section("command", "Command", command, table(None, rows) if rows else None)


def config_section(folder: ReportFolder) -> Raw | None:
    """id ``config``: the resolved config (RUN/config.yaml) as saved."""
    if folder.config_text is None:
        return None
    again = f"toonlab train DATA --out NEW_RUN --config {folder.path / 'config.yaml'}"
    note = para(f"Every setting of the run, defaults included. Train it again with `{again}`.", cls="note")
    return section("config", "Resolved config (config.yaml)", note, pre(folder.config_text, cls="columns"))


def data_section(folder: ReportFolder) -> Raw | None:
    """id ``data``: images found/used/skipped, the split, skipped files, duplicates across splits and
    duplicates whose labels disagree."""
    m = folder.metrics
    if not any(k in m for k in ("images", "splits", "duplicates")) and not (folder.path / "skipped.csv").is_file():
        return None
    return section("data", "Data", _images(m), _split(folder), _skipped(folder), _duplicates(m.get("duplicates")))


def metrics_section(folder: ReportFolder) -> Raw | None:
    """id ``metrics``: per task accuracy, macro-F1, accuracy where drawn and baselines; MAE/RMSE/MAPE.
    (The headline, warnings and advice lines open the page: :mod:`toonlab.report.result`.)"""
    tasks = folder.metrics.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        return None
    where = f"on the {folder.metrics.get('split', 'test')} split"
    return section("metrics", "Test metrics", para(f"Per task, {where}. The baseline always predicts the most "
                                                   "frequent training class (regression: the training mean).",
                                                   cls="note"),
                   _classification_table(tasks, folder.metrics.get("mean_accuracy")), _regression_table(tasks))


def _images(m: dict[str, Any]) -> Raw | None:
    images = m.get("images")
    if not isinstance(images, dict):
        return None
    keys = [k for k in ("found", "used", "skipped", "left_out") if k in images]
    note = para("found = used + skipped (+ left_out: usable images a data.subset did not sample).", cls="note")
    return join([tag("h3", "Images"), table([k.replace("_", " ") for k in keys], [[images[k] for k in keys]]), note])


def _split(folder: ReportFolder) -> Raw | None:
    m, data = folder.metrics, folder.config.get("data", {})
    splits = m.get("splits") if isinstance(m.get("splits"), dict) else {}
    if not splits and not data:
        return None
    rows = [*[(f"{name} images", n) for name, n in splits.items()],
            ("stratified by", m.get("stratified_by") or data.get("stratify") or "none"),
            ("grouped by", data.get("group") or "no groups"),
            ("folds", data.get("folds") or "none (one train/val/test split)"),
            ("duplicates", data.get("duplicates", "report"))]
    return join([tag("h3", "Split"), table(None, rows)])


def _skipped(folder: ReportFolder) -> Raw | None:
    rows = read_csv(folder.path / "skipped.csv")
    if not rows:
        return None
    shown = [(r.get("file", ""), r.get("reason", "")) for r in rows[:MAX_SKIPPED]]
    more = len(rows) - len(shown)
    note = para(f"… and {more} more in skipped.csv." if more else f"{len(rows)} skipped in all.", cls="note")
    return join([tag("h3", f"Skipped files ({len(rows)})"), table(["file", "reason"], shown), note])


def _duplicates(dup: Any) -> Raw | None:
    if not isinstance(dup, dict):
        return None
    crossing = dup.get("cross_split") or []
    text = (f"{dup.get('clusters', 0)} clusters of exact or near-duplicate images ({dup.get('images', 0)} images); "
            f"{len(crossing)} straddle the train/val/test splits" + (" (test accuracy may be inflated; "
            "--duplicates group or drop fixes it)." if crossing else "."))
    rows = [(", ".join(map(str, c.get("files", []))), ", ".join(map(str, c.get("splits", []))))
            for c in crossing[:MAX_CLUSTERS]]
    more = para(f"… and {len(crossing) - MAX_CLUSTERS} more clusters.", cls="note") if len(crossing) > MAX_CLUSTERS else None
    return join([tag("h3", "Duplicates"), para(text), table(["files", "splits"], rows) if rows else None, more,
                 _conflicts(dup.get("conflicts"))])


def _conflicts(entries: Any) -> Raw | None:
    """Duplicate clusters whose copies carry different labels for a task: task, files, labels, splits."""
    entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    if not entries:
        return None
    clusters = len({e.get("cluster") for e in entries})
    text = (f"{clusters} duplicate cluster{' carries' if clusters == 1 else 's carry'} different labels for the "
            "same task: copies of one picture with different answers. 'dropped' marks copies --duplicates drop or "
            "drop-conflicts removed.")
    rows = [(e.get("task", ""), _cells(e, "files"), _cells(e, "labels"), _cells(e, "splits"), e.get("pixels", ""))
            for e in entries[:MAX_CLUSTERS]]
    more = len(entries) - len(rows)
    note = para(f"… and {more} more in conflicts.csv." if more else "All of them are in conflicts.csv.", cls="note")
    return join([tag("h3", f"Label conflicts ({clusters})"), para(text),
                 table(["task", "files", "labels", "splits", "pixels"], rows), note])


def _cells(entry: dict[str, Any], key: str) -> str:
    values = entry.get(key) if isinstance(entry.get(key), list) else []
    return ", ".join(str(v) if v != "" else "(none)" for v in values)


def _classification_table(tasks: dict[str, Any], mean: Any) -> Raw | None:
    chosen = {n: t for n, t in tasks.items() if t.get("kind", "classification") != "regression"}
    if not chosen:
        return None
    drawn = any("accuracy_visible" in t for t in chosen.values())  # only where some labels are not drawn
    rows = [[name, t.get("num_classes", ""), pct(t.get("accuracy")), *(_where_drawn(t) if drawn else []),
             pct(t.get("macro_f1")), pct(t.get("baseline_accuracy")), pct(t.get("baseline_macro_f1")),
             t.get("n_test", "")]
            for name, t in chosen.items()]
    header = ["task", "classes", "accuracy", *(["acc where drawn", "drawn"] if drawn else []), "macro-F1",
              "baseline acc", "baseline macro-F1", "n test"]
    total = isinstance(mean, (int, float)) and not math.isnan(mean)
    if total:
        rows.append(["mean", "", pct(mean), *[""] * (len(header) - 3)])
    return table(header, rows, total=total)


def _where_drawn(t: dict[str, Any]) -> list[str]:
    """Accuracy on the images where the task's label is drawn, and their share of the test images."""
    share = t.get("drawn_fraction")
    return [pct(t.get("accuracy_visible"), blank=True),
            f"{100 * share:.1f}%" if isinstance(share, (int, float)) and not math.isnan(share) else ""]


def _regression_table(tasks: dict[str, Any]) -> Raw | None:
    rows = [(name, num(t.get("mae")), num(t.get("rmse")), pct(t.get("mape")), num(t.get("baseline_mae")),
             t.get("n_test", ""))
            for name, t in tasks.items() if t.get("kind") == "regression"]
    if not rows:
        return None
    return join([tag("h3", "Regression"), table(["task", "MAE", "RMSE", "MAPE", "baseline MAE", "n test"], rows)])


def pct(x: Any, *, blank: bool = False) -> str:
    """A fraction as a percentage with two decimals; n/a (or blank) when missing or NaN."""
    if not isinstance(x, (int, float)) or math.isnan(x):
        return "" if blank else "n/a"
    return f"{100 * x:.2f}%"


def num(x: Any) -> str:
    """A number with 4 significant digits; n/a when missing or NaN."""
    if not isinstance(x, (int, float)) or math.isnan(x):
        return "n/a"
    return f"{x:.4g}"


def _seconds(x: Any) -> str | None:
    return f"{x:.1f} s" if isinstance(x, (int, float)) else None

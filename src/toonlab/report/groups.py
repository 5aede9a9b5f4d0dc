"""The report of folders that hold many runs: a k-fold or repeated-seed parent (mean ± std over its
members) and a sweep folder (ranked trials, curve plots, the best config).

Each ``*_section(folder)`` returns the section's markup, or None when the folder holds nothing for it.
"""

from __future__ import annotations

from typing import Any

from toonlab.report.figures import png_file
from toonlab.report.files import ReportFolder, read_csv, read_text
from toonlab.report.html import Raw, figure, link, para, pre, section, table
from toonlab.report.summary import num, pct

AGGREGATED = ("accuracy", "accuracy_visible", "drawn_fraction", "macro_f1", "baseline_accuracy", "mae", "rmse", "mape",
              "baseline_mae")
PERCENT = ("accuracy", "accuracy_visible", "drawn_fraction", "macro_f1", "baseline_accuracy", "mape")
MAX_TRIALS = 200  # rows of results.csv shown


def members_section(folder: ReportFolder) -> Raw | None:
    """id ``members``: per task and metric the mean ± std over folds or seeds, each member's value, and
    the members with a link to each one's own report."""
    m = folder.metrics
    members = m.get("members")
    if not isinstance(members, dict) or not members:
        return None
    label = "folds" if m.get("kind") == "folds" else "seeds"
    names = list(members)
    rows = [row for task, entry in m.get("tasks", {}).items() for row in _aggregate_rows(task, entry)]
    mean = m.get("mean_accuracy")
    if isinstance(mean, dict):
        rows.append(_stat_row("mean", "accuracy", mean))
    intro = para(f"{len(names)} {label}; each is a full run folder. Mean ± sample standard deviation.", cls="note")
    return section("members", f"Mean ± std over {len(names)} {label}", intro,
                   table(["task", "metric", "mean ± std", *names], rows, total=isinstance(mean, dict)),
                   table(["member", "report", "split", "mean accuracy", "wall time"], _member_rows(folder)))


def trials_section(folder: ReportFolder) -> Raw | None:
    """id ``trials``: the sweep's ranked trials, as in results.csv."""
    rows = read_csv(folder.path / "results.csv")
    if not rows:
        return None
    header = list(rows[0])
    shown = [[r.get(k, "") for k in header] for r in rows[:MAX_TRIALS]]
    more = para(f"… and {len(rows) - MAX_TRIALS} more in results.csv.", cls="note") if len(rows) > MAX_TRIALS else None
    intro = para("Ranked by the sweep's validation metric; the test metric is filled for the best trial only.",
                 cls="note")
    return section("trials", f"Trials ({len(rows)})", intro, table(header, shown), more)


def sweep_plots_section(folder: ReportFolder) -> Raw | None:
    """id ``sweep-plots``: plots/*.png, the validation curves of every trial per round."""
    figures = [figure(png, p.name) for p in sorted((folder.path / "plots").glob("*.png")) if (png := png_file(p))]
    return section("sweep-plots", "Validation curves of the trials", *figures) if figures else None


def best_section(folder: ReportFolder) -> Raw | None:
    """id ``best``: best.yaml, the best trial's config, ready for ``toonlab train --config``."""
    text = read_text(folder.path / "best.yaml")
    return section("best", "Best config (best.yaml)", pre(text)) if text is not None else None


def diagnose_section(folder: ReportFolder) -> Raw | None:
    """id ``diagnose``: the per-layer table ``toonlab diagnose RUN`` saved (RUN/diagnose.txt)."""
    text = read_text(folder.path / "diagnose.txt")
    if text is None:
        return None
    note = para("Per layer at initialisation: shapes, receptive fields, mean |weights|, |inputs| and |gradients|, "
                "with vanishing/exploding flags (`toonlab diagnose RUN`).", cls="note")
    return section("diagnose", "Diagnostics", note, pre(text))


def sweep_file_section(folder: ReportFolder) -> Raw | None:
    """id ``config``: the sweep file as started (sweep.yaml)."""
    text = read_text(folder.path / "sweep.yaml")
    return section("config", "Sweep file (sweep.yaml)", pre(text)) if text is not None else None


def _aggregate_rows(task: str, entry: dict[str, Any]) -> list[list[str]]:
    return [_stat_row(task, key, entry[key]) for key in AGGREGATED if isinstance(entry.get(key), dict)]


def _stat_row(task: str, key: str, stats: dict[str, Any]) -> list[str]:
    fmt = pct if key in PERCENT else num
    values = [fmt(v) for v in stats.get("values", [])]
    return [task, key.replace("_", " "), f"{fmt(stats.get('mean'))} ± {fmt(stats.get('std'))}", *values]


def _member_rows(folder: ReportFolder) -> list[list[object]]:
    rows = []
    for name, m in folder.metrics["members"].items():
        report = folder.path / name / "report.html"
        splits = m.get("splits") if isinstance(m, dict) else None
        rows.append([name, link(f"{name}/report.html", "report") if report.is_file() else "",
                     ", ".join(f"{k} {v}" for k, v in splits.items()) if isinstance(splits, dict) else "",
                     pct(m.get("mean_accuracy")) if isinstance(m, dict) else "",
                     f"{m['wall_time_s']:.1f} s" if isinstance(m, dict) and isinstance(m.get("wall_time_s"), (int, float))
                     else ""])
    return rows

"""``toonlab check DATA``: what loads, what does not and why, label counts, groups and duplicates.

It runs the same path as training (label source → image cache → duplicates → split), so every
problem ``train`` would skip is listed here first, and the decoded cache is reused by ``train``.

Example:
    >>> report = check_data(DataConfig(path="toons"))  # doctest: +SKIP
    >>> print(format_check(report))  # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toonlab.config import DataConfig
from toonlab.data.conflicts import example, outcome, summary
from toonlab.data.dataset import NoUsableImages, PreparedData, duplicate_report, prepare_data
from toonlab.data.samples import Skipped

SHOW_SKIPPED = 50  # skipped items printed one per line; the rest are counted by reason
SHOW_CONFLICTS = 10  # label conflicts printed one per line; --json has them all
_PIXELS = {"identical": "identical pixels", "near": "near-duplicates"}


@dataclass
class CheckReport:
    """The facts ``check`` prints (and ``--json`` writes)."""

    data: str
    source: str
    found: int
    used: int
    skipped: list[Skipped]
    tasks: dict[str, dict[str, Any]]
    groups: int | None
    splits: dict[str, int]
    seed: int = 0
    duplicates: dict[str, Any] = field(default_factory=dict)
    layout: str = ""
    problem: str = ""  # when nothing is usable: why, and what to try instead

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, "source": self.source, "layout": self.layout, "found": self.found,
                "used": self.used, "skipped": [{"file": s.path, "reason": s.reason} for s in self.skipped],
                "tasks": self.tasks, "groups": self.groups, "splits": self.splits, "seed": self.seed,
                "duplicates": self.duplicates, "problem": self.problem}


def check_data(cfg: DataConfig, *, seed: int = 0, progress=None) -> CheckReport:
    """Load ``cfg.path`` as ``train`` would and report on it (nothing is written but the image cache).

    When no image or row is usable the report still lists every one with its reason (``used`` is 0
    and ``problem`` says what to try instead), where ``train`` stops with an error giving the same advice.
    """
    try:
        data = prepare_data(cfg, seed=seed, progress=progress)
    except NoUsableImages as e:
        labels = e.labels
        return CheckReport(str(cfg.path), labels.source, labels.found, 0, labels.skipped, {}, None, {}, seed,
                           layout=labels.layout, problem=e.advice)
    groups = None if data.groups is None else len({g if g is not None else ("row", i)
                                                    for i, g in enumerate(data.groups)})
    return CheckReport(str(data.root), data.source, data.found, len(data.rel_paths), data.skipped,
                       label_counts(data), groups, data.split_sizes(), seed, duplicate_report(data),
                       layout=data.layout)


def label_counts(data: PreparedData) -> dict[str, dict[str, Any]]:
    """Per task: class counts (classification) or min/mean/max (regression), unlabelled images, and
    labelled images where the label is not drawn (``not_drawn``, from the visibility table)."""
    out = {}
    for j, (name, spec) in enumerate(data.tasks.items()):
        y = data.labels[:, j]
        labelled = ~np.isnan(y)
        known = y[labelled]
        entry: dict[str, Any] = {"kind": spec.kind, "labelled": int(len(known)), "missing": int(len(y) - len(known)),
                                 "not_drawn": int((data.hidden[:, j] & labelled).sum())}
        if spec.is_regression and len(known):
            entry.update(min=float(known.min()), mean=float(known.mean()), max=float(known.max()))
        elif not spec.is_regression:
            counts = np.bincount(known.astype(np.int64), minlength=spec.num_classes)
            entry["classes"] = {c: int(n) for c, n in zip(spec.classes, counts)}
        out[name] = entry
    return out


def format_check(report: CheckReport) -> str:
    """The report as text: a summary line, the detected layout, label counts per task, duplicates, then every
    skipped item (with nothing usable: the summary, what to try, and every skipped item)."""
    lines = [f"{report.data} ({report.source}): found {report.found}, usable {report.used}, "
             f"skipped {len(report.skipped)}" + (f"; {report.groups} groups" if report.groups is not None else "")]
    lines += [report.layout] if report.layout else []
    if report.problem:
        return "\n".join(lines + ["", f"No usable image. {report.problem}", "", f"skipped ({len(report.skipped)}):"]
                         + _skipped_lines(report.skipped))
    lines += [f"split (seed {report.seed}): {report.splits}", "", "labels:"]
    lines += [f"  {name} ({t['kind']}): {_describe(t)}" for name, t in report.tasks.items()]
    lines += ["", _duplicates_text(report.duplicates)]
    lines += _conflicts_lines(report.duplicates.get("conflicts") or [])
    if report.skipped:
        lines += ["", f"skipped ({len(report.skipped)}):"] + _skipped_lines(report.skipped)
    return "\n".join(lines)


def _describe(task: dict[str, Any]) -> str:
    missing = f"; no label: {task['missing']}" if task["missing"] else ""
    if task.get("not_drawn"):
        missing += f"; not drawn in {task['not_drawn']} of {task['labelled']} ({_share(task)})"
    if task["kind"] == "regression":
        if not task["labelled"]:
            return f"no labelled image{missing}"
        return f"{task['labelled']} values, min {task['min']:g}, mean {task['mean']:.4g}, max {task['max']:g}{missing}"
    classes = task["classes"]
    shown = ", ".join(f"{c}: {n}" for c, n in list(classes.items())[:12])
    more = f", … {len(classes) - 12} more" if len(classes) > 12 else ""
    return f"{len(classes)} classes ({shown}{more}){missing}"


def _share(task: dict[str, Any]) -> str:
    return f"{100 * task['not_drawn'] / task['labelled']:.1f}%"


def _duplicates_text(dup: dict[str, Any]) -> str:
    if not dup.get("clusters"):
        return "duplicates: none found (identical pixels, or near: 8x8 fingerprints within data.duplicate_distance and 32x32 thumbnails within 40 levels)"
    lines = [f"duplicates: {dup['clusters']} clusters of exact/near-duplicate images ({dup['images']} images); "
             f"{len(dup['cross_split'])} straddle the splits. Use --duplicates group (keep each cluster in one "
             "split) or --duplicates drop (keep one copy)."]
    for c in dup["cross_split"][:10]:
        lines.append("  " + ", ".join(f"{f} [{s}]" for f, s in zip(c["files"], c["splits"])))
    return "\n".join(lines)


def _conflicts_lines(entries: list[dict[str, Any]]) -> list[str]:
    """A blank line, the summary and the first ``SHOW_CONFLICTS`` conflicts with each file's label and split."""
    if not entries:
        return []
    lines = ["", f"label conflicts: {summary(entries)}; {outcome(entries)}."]
    lines += [f"  {example(e, splits=True)} ({_PIXELS.get(e['pixels'], e['pixels'])})"
              for e in entries[:SHOW_CONFLICTS]]
    if len(entries) > SHOW_CONFLICTS:
        lines.append(f"  … and {len(entries) - SHOW_CONFLICTS} more (--json FILE writes them all)")
    return lines


def _skipped_lines(skipped: list[Skipped]) -> list[str]:
    lines = [f"  {s.path}: {s.reason}" for s in skipped[:SHOW_SKIPPED]]
    if len(skipped) > SHOW_SKIPPED:
        kinds = Counter(s.reason.split(":")[0][:60] for s in skipped[SHOW_SKIPPED:])
        lines.append(f"  … and {len(skipped) - SHOW_SKIPPED} more: " + "; ".join(f"{n}× {k}" for k, n in kinds.most_common(5)))
    return lines

"""Label conflicts: duplicate clusters whose copies carry different labels for the same task.

Copies of one picture (identical pixels, or near-duplicates by :mod:`toonlab.data.duplicates`)
labelled differently teach the network two answers for one input, and, when the copies straddle
the splits, mark a test image wrong for the answer training taught. A cluster conflicts for a task
when its copies labelled for that task carry two or more different labels (classes, or values for
a regression task). Not a conflict: a copy with no label for the task, a label the visibility table
marks as not drawn (it cannot be seen, so copies may differ), and a combined task ``a+b`` whose
factors are tasks too (the factors' own conflicts say it).

What ``--duplicates`` does with them: ``report`` and ``group`` keep every copy (``group`` in one
split); ``drop`` keeps the first copy, with its labels; ``drop-conflicts`` drops every image of a
conflicting cluster (see ``conflict_rows``) and keeps one copy of the other clusters, like ``drop``.
Each conflict is listed per task with its files, labels and where each file went.

Example:
    >>> labels = np.array([[0.0], [1.0], [0.0]], np.float32)
    >>> disagreements([np.array([0, 1]), np.array([2])], labels, np.zeros((3, 1), bool), {"kind": TaskSpec("kind")})
    [(0, 'kind')]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toonlab.data.duplicates import exact_keys
from toonlab.data.samples import TaskSpec

DROPPED = "dropped"  # the split column of a file --duplicates dropped
CSV_COLUMNS = ("task", "cluster", "file", "label", "split", "pixels")
SHOW_FILES = 3  # files named per cluster in one-line messages


@dataclass(frozen=True)
class Conflict:
    """One duplicate cluster whose copies disagree for one task.

    Attributes:
        task: the task the copies disagree on.
        cluster: the cluster's number among the conflicting clusters (1, 2, ...; one per cluster, shared
            by its tasks).
        files: every copy's path relative to the data folder.
        labels: each copy's label as text (class name or value; '' = no label; ' (not drawn)' appended
            where the visibility table says the label cannot be seen).
        identical: True when every copy has identical pixels; False for near-duplicates.
        kept: per file, False where ``--duplicates`` dropped it.
    """

    task: str
    cluster: int
    files: tuple[str, ...]
    labels: tuple[str, ...]
    identical: bool
    kept: tuple[bool, ...]


def disagreements(
    clusters: list[np.ndarray], labels: np.ndarray, hidden: np.ndarray, tasks: dict[str, TaskSpec],
) -> list[tuple[int, str]]:
    """``(cluster index, task)`` for every cluster whose drawn, present labels of a task differ.

    Args:
        clusters: row index arrays, as from ``find_duplicates``.
        labels: (N, T) float32 label matrix, NaN = no label; columns in ``tasks`` order.
        hidden: (N, T) bool, True where the label is not drawn (ignored).
        tasks: the task specs, in column order.
    """
    columns = [j for j, spec in enumerate(tasks.values()) if not _covered(spec, tasks)]
    names = list(tasks)
    found = []
    for i, rows in enumerate(clusters):
        for j in columns:
            values = labels[rows, j][~np.isnan(labels[rows, j]) & ~hidden[rows, j]]
            if len(np.unique(values)) > 1:
                found.append((i, names[j]))
    return found


def conflict_rows(clusters: list[np.ndarray], found: list[tuple[int, str]]) -> np.ndarray:
    """Every row of the clusters in ``found`` (``disagreements`` output), sorted: what ``drop-conflicts`` drops."""
    rows = [np.asarray(clusters[i]) for i in sorted({i for i, _ in found})]
    return np.unique(np.concatenate(rows)).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)


def describe(
    clusters: list[np.ndarray], found: list[tuple[int, str]], *, labels: np.ndarray, hidden: np.ndarray,
    tasks: dict[str, TaskSpec], files: list[str], images: np.ndarray,
) -> list[Conflict]:
    """A ``Conflict`` per ``(cluster, task)`` in ``found``, numbered by cluster, every file kept."""
    number = {i: n for n, i in enumerate(sorted({i for i, _ in found}), start=1)}
    identical = {i: len(set(exact_keys(np.ascontiguousarray(images[clusters[i]])))) == 1 for i in number}
    names = list(tasks)
    out = []
    for i, task in found:
        rows, j = np.asarray(clusters[i]), names.index(task)
        texts = tuple(label_text(labels[r, j], tasks[task]) + (" (not drawn)" if hidden[r, j] else "") for r in rows)
        out.append(Conflict(task, number[i], tuple(files[r] for r in rows), texts, identical[i], (True,) * len(rows)))
    return out


def label_text(value: float, spec: TaskSpec) -> str:
    """A label as the user wrote it: the class name, the value (regression), or '' for no label.

    Example:
        >>> label_text(1.0, TaskSpec("kind", classes=("cat", "dog"))), label_text(float("nan"), TaskSpec("kind"))
        ('dog', '')
    """
    if np.isnan(value):
        return ""
    return f"{value:g}" if spec.is_regression else spec.classes[int(value)]


def report_entries(conflicts: list[Conflict], split_of: dict[str, str]) -> list[dict]:
    """JSON-ready entries: task, cluster, files, labels, where each file went (a split, 'dropped', or ''
    when used in no split) and ``pixels`` ('identical' or 'near')."""
    return [{"task": c.task, "cluster": c.cluster, "files": list(c.files), "labels": list(c.labels),
             "splits": [split_of.get(f, "") if kept else DROPPED for f, kept in zip(c.files, c.kept)],
             "pixels": "identical" if c.identical else "near"}
            for c in conflicts]


def write_conflicts(path: str | Path, entries: list[dict]) -> None:
    """``conflicts.csv``: one row per file of each conflict (``CSV_COLUMNS``); a header only when none."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for e in entries:
            for file, label, split in zip(e["files"], e["labels"], e["splits"]):
                writer.writerow([e["task"], e["cluster"], file, label, split, e["pixels"]])


def summary(entries: list[dict]) -> str:
    """One line: how many clusters disagree, per task, and the first one as an example ('' when none).

    Example:
        >>> line = summary([{"task": "tone", "cluster": 1, "files": ["a.png", "b.png"], "labels": ["light", ""]}])
        >>> head, eg = line.split(", e.g. ")
        >>> head
        '1 duplicate cluster carries different labels for the same task (tone: 1)'
        >>> eg
        "tone: a.png 'light', b.png no label"
    """
    if not entries:
        return ""
    clusters = len({e["cluster"] for e in entries})
    per_task: dict[str, int] = {}
    for e in entries:
        per_task[e["task"]] = per_task.get(e["task"], 0) + 1
    counts = "; ".join(f"{task}: {n}" for task, n in per_task.items())
    verb = "carries" if clusters == 1 else "carry"
    return (f"{clusters} duplicate cluster{'' if clusters == 1 else 's'} {verb} different labels for the same task "
            f"({counts}), e.g. {example(entries[0])}")


def outcome(entries: list[dict]) -> str:
    """What ``--duplicates`` did about the conflicts (read from the entries' splits) and what else to do."""
    splits = [s for e in entries for s in e["splits"]]
    if splits and all(s == DROPPED for s in splits):
        return "--duplicates drop-conflicts dropped every copy (skipped.csv says why)"
    if DROPPED in splits:
        return ("--duplicates drop kept the first copy's label, which may be the wrong one; drop-conflicts drops "
                "every copy")
    return "the network is taught two answers for one picture; --duplicates drop-conflicts drops every copy"


def example(entry: dict, *, splits: bool = False) -> str:
    """``task: file 'label', file 'label'`` for one entry (at most ``SHOW_FILES`` files named; with
    ``splits``, each file's split in brackets)."""
    where = entry.get("splits") or [""] * len(entry["files"])
    parts = [f"{f} {shown(lab)}" + (f" [{s}]" if splits and s else "")
             for f, lab, s in zip(entry["files"], entry["labels"], where)]
    more = f" and {len(parts) - SHOW_FILES} more" if len(parts) > SHOW_FILES else ""
    return f"{entry['task']}: " + ", ".join(parts[:SHOW_FILES]) + more


def drop_reason(conflicts: list[Conflict], file: str) -> str:
    """Why ``--duplicates drop-conflicts`` dropped ``file``: each task its copies disagree on, with the labels.

    Example:
        >>> c = Conflict("kind", 1, ("a/x.png", "b/x.png"), ("a", "b"), True, (True, True))
        >>> drop_reason([c], "b/x.png")
        "its copies disagree: kind 'b' here, a/x.png 'a' (--duplicates drop-conflicts)"
    """
    parts = []
    for c in conflicts:
        if file in c.files:
            others = [f"{f} {shown(lab)}" for f, lab in zip(c.files, c.labels) if f != file]
            more = f" and {len(others) - SHOW_FILES} more" if len(others) > SHOW_FILES else ""
            parts.append(f"{c.task} {shown(c.labels[c.files.index(file)])} here, " + ", ".join(others[:SHOW_FILES])
                         + more)
    return "its copies disagree: " + "; ".join(parts) + " (--duplicates drop-conflicts)"


def shown(label: str) -> str:
    """A label quoted for a message; 'no label' for ''."""
    return repr(label) if label else "no label"


def _covered(spec: TaskSpec, tasks: dict[str, TaskSpec]) -> bool:
    """A combined task whose every factor is a task too: its conflicts are its factors'."""
    return bool(spec.factors) and all(f in tasks for f in spec.factors)

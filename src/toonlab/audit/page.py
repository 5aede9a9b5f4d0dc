"""``audit.html``: one self-contained page of the likely label errors, with thumbnails.

Built from the report's blocks (:mod:`toonlab.report.html`, :mod:`toonlab.report.figures`): per task a table
of the flagged images, most likely error first, each with its thumbnail, the given and the suggested label
and, beside each label, the image the audit network found most typical of that class (so a glance shows
which of the two the image looks like).

Example:
    >>> write_page(Path("audit/audit.html"), data, rows, tasks, probs)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toonlab.audit.table import LOW_AGREEMENT, given_labels
from toonlab.data.dataset import PreparedData
from toonlab.report.figures import thumbnail
from toonlab.report.html import Raw, image, join, missing, page, para, section, table, tag

MAX_ROWS = 50  # flagged images shown per task; audit.csv holds them all


def write_page(path: Path, data: PreparedData, rows: list[dict[str, Any]], tasks: dict[str, dict],
               probs: dict[str, np.ndarray], *, subtitle: str = "") -> Path:
    """Write the page to ``path`` and return it."""
    thumbs: dict[str, Raw] = {}
    typical = {task: _typical(data, task, p) for task, p in probs.items()}
    sections = [("summary", "Summary", section("summary", "Summary", _summary(tasks)))]
    for task in tasks:
        task_rows = [r for r in rows if r["task"] == task]
        body = _task_table(task_rows, data.root, typical[task], thumbs)
        sections.append((f"task-{task}", task, section(f"task-{task}", task, body)))
    path.write_text(page("Label audit", subtitle, sections), encoding="utf-8")
    return path


def _summary(tasks: dict[str, dict]) -> Raw:
    rows = [[t, s["audited"], "n/a" if s["oof_accuracy"] is None else f"{s['oof_accuracy']:.1%}", s["flagged"],
             "" if s["reliable"] else "the network is weak here: most flags are its own mistakes"]
            for t, s in tasks.items()]
    note = para("oof acc: how often the network that never saw an image agrees with its given label. Under "
                f"{LOW_AGREEMENT:.0%} the flags say more about the network than about the labels.", cls="note")
    return join([table(["task", "audited", "oof acc", "flagged", ""], rows), note])


def _task_table(rows: list[dict[str, Any]], root: Path, typical: dict[str, str], thumbs: dict[str, Raw]) -> Raw:
    if not rows:
        return para("No likely label errors.", cls="note")
    header = ["rank", "image", "file", "given", "typical given", "suggested", "typical suggested", "confidence"]
    body = [[r["rank"], _thumb(r["file"], root, thumbs), r["file"], r["given"], _thumb(typical.get(r["given"]), root,
             thumbs), r["suggested"], _thumb(typical.get(r["suggested"]), root, thumbs), f"{r['confidence']:.1%}"]
            for r in rows[:MAX_ROWS]]
    more = para(f"… and {len(rows) - MAX_ROWS} more in audit.csv.", cls="note") if len(rows) > MAX_ROWS else None
    return join([table(header, body), more])


def _typical(data: PreparedData, task: str, probs: np.ndarray) -> dict[str, str]:
    """Per class, the image given that class that the network finds most typical of it (highest probability)."""
    given = given_labels(data, task)
    out = {}
    for k, name in enumerate(data.tasks[task].classes):
        rows = np.flatnonzero(given == k)
        if len(rows):
            out[name] = data.rel_paths[rows[np.argmax(probs[rows, k])]]
    return out


def _thumb(file: str | None, root: Path, cache: dict[str, Raw]) -> Raw:
    if not file:
        return tag("span", "")
    if file not in cache:
        shown = thumbnail(root / file)
        cache[file] = image(shown[0], file, cls="thumb", mime=shown[1]) if shown else missing(file)
    return cache[file]

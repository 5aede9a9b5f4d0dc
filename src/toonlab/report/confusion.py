"""A confusion matrix as an HTML heatmap table, drawn from ``RUN/eval/<task>/confusion.csv`` when the
run has no ``confusion.png`` (``eval.plots=false``): no matplotlib, so refreshing the report stays cheap.

Cells are coloured by the row-normalised fraction (white to dark blue, like the PNG) and show their
count; each cell's tooltip names the true and predicted class. Above ``DENSE_CLASSES`` classes the cells
shrink to coloured dots (111 hair styles still fit on a page).

Example:
    >>> html = confusion_table([["true\\\\pred", "a", "b"], ["a", "3", "1"], ["b", "0", "4"]], "t")
    >>> html.count("<td")
    4
"""

from __future__ import annotations

import csv
from pathlib import Path

from toonlab.report.files import read_text
from toonlab.report.html import Raw, esc, tag

DENSE_CLASSES = 30
WHITE, BLUE = (247, 251, 255), (8, 48, 107)


def confusion_from_csv(path: Path, title: str) -> Raw | None:
    """The heatmap table of a ``confusion.csv`` (header ``true\\pred,<classes>``); None if absent or malformed."""
    text = read_text(path)
    return confusion_table(list(csv.reader(text.splitlines())), title) if text else None


def confusion_table(rows: list[list[str]], title: str) -> Raw | None:
    """The heatmap of a matrix given as CSV rows: a header row of class names, then one row per true class."""
    try:
        classes = rows[0][1:]
        counts = [[int(float(v)) for v in row[1:]] for row in rows[1:]]
    except (IndexError, ValueError):
        return None
    if not classes or len(counts) != len(classes) or any(len(r) != len(classes) for r in counts):
        return None
    dense = len(classes) > DENSE_CLASSES
    header = tag("tr", Raw(tag("th", "true \\ predicted") + "".join(
        tag("th", "" if dense else c, title=c) for c in classes)))
    body = "".join(_row(name, r, classes, dense) for name, r in zip(classes, counts))
    table = tag("table", Raw(tag("caption", title) + header + body), cls="confusion dense" if dense else "confusion")
    return tag("div", table, cls="matrix")


def _row(name: str, counts: list[int], classes: list[str], dense: bool) -> str:
    total = sum(counts) or 1
    cells = "".join(_cell(n, n / total, name, pred, dense) for n, pred in zip(counts, classes))
    return tag("tr", Raw(tag("th", "" if dense else name, title=name) + cells))


def _cell(count: int, fraction: float, true: str, pred: str, dense: bool) -> str:
    rgb = ",".join(str(round(w + (b - w) * fraction)) for w, b in zip(WHITE, BLUE))
    ink = "#fff" if fraction > 0.5 else "#222"
    tip = f"true {true}, predicted {pred}: {count} ({100 * fraction:.0f}% of true {true})"
    text = "" if dense or count == 0 else str(count)
    return f'<td style="background: rgb({rgb}); color: {ink}" title="{esc(tip)}">{text}</td>'

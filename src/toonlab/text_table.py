"""The one plain-text table formatter behind every table toonlab prints.

Columns are as wide as their widest cell and two spaces apart; text columns are left-aligned, number
columns (``right_from`` on) right-aligned; trailing spaces are dropped. ``rule`` draws dashes under each
heading (blanks under an empty heading, e.g. a marker column).

Example:
    >>> print(format_table(("task", "acc"), [("hair", "91.0%"), ("eyes", "8.5%")], right_from=1, rule=True))
    task    acc
    ----  -----
    hair  91.0%
    eyes   8.5%
"""

from __future__ import annotations

from collections.abc import Sequence


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, right_from: int | None = None,
                 rule: bool = False) -> str:
    """``header`` and ``rows`` (strings, one per column) as aligned lines joined by newlines."""
    lines = [tuple(header), *map(tuple, rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    if rule:
        lines.insert(1, tuple(("-" if h else " ") * w for h, w in zip(header, widths)))
    return "\n".join(_line(line, widths, right_from) for line in lines)


def _line(cells: Sequence[str], widths: Sequence[int], right_from: int | None) -> str:
    right = len(widths) if right_from is None else right_from
    return "  ".join(c.rjust(w) if i >= right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

"""Score attribution maps against drawn regions: mass inside, its chance level, and the pointing game.

For one map ``a`` and one region mask ``m`` (True where the attribute is drawn):

- mass inside = ``sum(|a| inside m) / sum(|a|)``: the share of the explanation that falls on the region.
  An all-zero map says nothing and scores like a uniform map.
- chance = the region's area fraction, which is exactly what a uniform map scores.
- pointing hit = 1 when the pixel of largest ``|a|`` lies inside the region, else 0. When several pixels
  tie for the largest value, the hit is the fraction of them inside the region: the expected hit when
  the tie is broken at random, so a flat map scores the chance level here too.

Images whose region is empty for a task (e.g. glasses when none are drawn) are excluded from that
task's scores. The table gives, per (task, method), mean mass, mean chance, their ratio (ratio of the
means; 1 = no better than a uniform map), the hit rate and the number of images scored.

Example:
    >>> a = np.array([[0.0, 1.0], [0.0, 3.0]]); m = np.array([[False, False], [False, True]])
    >>> mass_inside(a, m), chance(m), pointing_hit(a, m)
    (0.75, 0.25, 1.0)
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from toonlab.errors import ToonlabError

COLUMNS = ("task", "method", "mass", "chance", "ratio", "hit_rate", "n")


def mass_inside(amap: np.ndarray, mask: np.ndarray) -> float:
    """Share of the absolute attribution inside ``mask`` (an all-zero map scores the area fraction)."""
    a, m = _pair(amap, mask)
    total = float(a.sum())
    return float(a[m].sum()) / total if total > 0 else chance(m)


def chance(mask: np.ndarray) -> float:
    """Area fraction of the region: what a uniform map scores for :func:`mass_inside`."""
    m = np.asarray(mask, dtype=bool)
    return float(m.mean()) if m.size else 0.0


def pointing_hit(amap: np.ndarray, mask: np.ndarray) -> float:
    """1.0 if the largest ``|a|`` lies inside ``mask``, else 0.0; with ties, the share of tied pixels inside."""
    a, m = _pair(amap, mask)
    top = a == a.max()
    return float(m[top].sum()) / float(top.sum())


def score_image(amap: np.ndarray, mask: np.ndarray) -> dict[str, float] | None:
    """``{"mass", "chance", "hit"}`` for one map and region, or None when the region is empty."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return None
    return {"mass": mass_inside(amap, m), "chance": chance(m), "hit": pointing_hit(amap, m)}


def score_table(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summarise per-image rows ``{"task", "method", "mass", "chance", "hit"}`` per (task, method).

    Rows that are None, or whose chance is 0 (empty region), are left out. Order: first appearance.

    Returns:
        ``[{"task", "method", "mass", "chance", "ratio", "hit_rate", "n"}]`` with means over images;
        ``ratio`` = mean mass / mean chance.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row is None or not row["chance"] > 0:
            continue
        groups.setdefault((row["task"], row["method"]), []).append(row)
    table = []
    for (task, method), members in groups.items():
        mass = float(np.mean([r["mass"] for r in members]))
        base = float(np.mean([r["chance"] for r in members]))
        hit = float(np.mean([r["hit"] for r in members]))
        table.append({"task": task, "method": method, "mass": mass, "chance": base, "ratio": mass / base,
                      "hit_rate": hit, "n": len(members)})
    return table


def write_scores_csv(path: str | Path, table: list[dict[str, Any]]) -> Path:
    """Write the summary table (columns ``task,method,mass,chance,ratio,hit_rate,n``) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in table:
            writer.writerow([row["task"], row["method"]] + [f"{row[k]:.4f}" for k in COLUMNS[2:6]] + [row["n"]])
    return path


def format_scores(table: list[dict[str, Any]]) -> str:
    """The summary as an aligned text table for the terminal."""
    if not table:
        return "No image had a drawn region for the tasks explained; nothing was scored."
    width = max(len("task"), *(len(r["task"]) for r in table))
    mwidth = max(len("method"), *(len(r["method"]) for r in table))
    lines = [f"{'task':<{width}}  {'method':<{mwidth}}   mass  chance  ratio    hit     n"]
    for r in table:
        lines.append(f"{r['task']:<{width}}  {r['method']:<{mwidth}}  {r['mass']:5.3f}  {r['chance']:6.3f}  "
                     f"{r['ratio']:5.2f}  {r['hit_rate']:5.3f}  {r['n']:4d}")
    return "\n".join(lines)


def _pair(amap: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, m = np.abs(np.asarray(amap, dtype=np.float64)), np.asarray(mask, dtype=bool)
    if a.shape != m.shape:
        raise ToonlabError(f"An attribution map and its mask must have the same shape. "
                           f"Received: map {a.shape}, mask {m.shape}")
    if not np.isfinite(a).all():
        raise ToonlabError("The attribution map holds NaN or infinite values; it cannot be scored.")
    return a, m

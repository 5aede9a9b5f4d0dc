"""The report's explanation section: attribution panels (RUN/explain/<image>/<task>.png from
``toonlab explain``) and their scores against drawn regions (RUN/explain/scores.csv from ``--score``).

A full-size panel is about 1,300 pixels wide and 100-300 kB; the page embeds a thumbnail
(:func:`~toonlab.report.figures.panel_thumbnail`, half the page wide) that links to the full-size file,
so a report with explanations stays a few hundred kB to a few MB at most.

``toonlab diagnose`` prints its per-layer table and saves nothing in the run folder, so the report
has no diagnostics section.
"""

from __future__ import annotations

from pathlib import Path

from toonlab.report.figures import panel_thumbnail
from toonlab.report.files import ReportFolder, read_csv
from toonlab.report.html import Raw, figure, para, section, table, tag
from toonlab.report.summary import pct

MAX_PANELS = 24  # panels embedded (a JPEG thumbnail of about 10-60 kB each); the rest are counted
SCORE_COLUMNS = (("task", "task"), ("method", "method"), ("mass", "mass in region"), ("chance", "chance"),
                 ("ratio", "ratio to chance"), ("hit_rate", "pointing hit"), ("n", "images"))


def explain_section(folder: ReportFolder) -> Raw | None:
    """id ``explain``: the scores table and up to MAX_PANELS panels, captioned ``<image>/<task>``."""
    base = folder.path / "explain"
    if not base.is_dir():
        return None
    scores = _scores(read_csv(base / "scores.csv"))
    paths = sorted(base.rglob("*.png"))
    figures = _panels(paths, base)
    more = len(paths) - len(figures)
    count = f"{len(paths)} panel" + ("s" if len(paths) != 1 else "")
    note = para(f"… and {more} more panels under explain/." if more else f"{count}; click one for its full size.",
                cls="note")
    if scores is None and not figures:
        return None
    return section("explain", "Explanations", scores, tag("h3", "Panels") if figures else None, *figures,
                   note if paths else None)


def _panels(paths: list[Path], base: Path) -> list[Raw]:
    """Thumbnails of the first MAX_PANELS readable panels, captioned ``<image>/<task>``, each linking to
    its full-size file (a path relative to the report, which sits in the run folder)."""
    figures = []
    for path in paths:
        if len(figures) == MAX_PANELS:
            break
        if shown := panel_thumbnail(path):
            name = path.relative_to(base)
            figures.append(figure(shown[0], name.with_suffix("").as_posix(), cls="half", mime=shown[1],
                                  href=(Path(base.name) / name).as_posix()))
    return figures


def _scores(rows: list[dict[str, str]] | None) -> Raw | None:
    if not rows:
        return None
    body = [[_cell(key, r.get(key, "")) for key, _ in SCORE_COLUMNS] for r in rows]
    intro = para("Share of the attribution inside the attribute's drawn region, the region's share of the image "
                 "(chance), their ratio, and how often the strongest pixel falls inside the region.", cls="note")
    return Raw(tag("h3", "Scores (scores.csv)") + intro + table([name for _, name in SCORE_COLUMNS], body))


def _cell(key: str, text: str) -> str:
    if key not in ("mass", "chance", "hit_rate", "ratio"):
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:.2f}×" if key == "ratio" else pct(value)

"""The report's explanation section: attribution panels (RUN/explain/<image>/<task>.png from
``toonlab explain``) and their scores against drawn regions (RUN/explain/scores.csv from ``--score``).

``toonlab diagnose`` prints its per-layer table and saves nothing in the run folder, so the report
has no diagnostics section.
"""

from __future__ import annotations

from pathlib import Path

from toonlab.report.figures import png_file
from toonlab.report.files import ReportFolder, read_csv
from toonlab.report.html import Raw, figure, para, section, table, tag
from toonlab.report.summary import pct

MAX_PANELS = 24  # panels embedded (about 100 kB each); the rest are counted
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
    note = para(f"… and {more} more panels under explain/." if more else f"{count}.", cls="note")
    if scores is None and not figures:
        return None
    return section("explain", "Explanations", scores, tag("h3", "Panels") if figures else None, *figures,
                   note if paths else None)


def _panels(paths: list[Path], base: Path) -> list[Raw]:
    """The first MAX_PANELS readable panels, captioned ``<image>/<task>``."""
    figures = []
    for path in paths:
        if len(figures) == MAX_PANELS:
            break
        if png := png_file(path):
            figures.append(figure(png, path.relative_to(base).with_suffix("").as_posix(), cls="half"))
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

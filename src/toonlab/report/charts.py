"""The report's charts as inline SVG: a horizontal bar chart of test accuracy against the baseline, and a
small line chart per learning curve.

SVG is text inside the page: it needs no matplotlib (refreshing the report at the end of ``train``
stays cheap), stays sharp at any zoom, and every label in it (task names, axis titles, legends) is
real text that a test, a search or a screen reader finds. Text from the run's files is escaped.

Example:
    >>> svg = accuracy_bars([Bar("hair", 0.82, 0.40)])
    >>> svg.count('class="bar acc"'), "test accuracy (%)" in svg
    (1, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toonlab.report.html import Raw, esc

ACC, DRAWN, BELOW, BASELINE = "#4c78a8", "#9ecae9", "#e45756", "#222"
LINE_COLORS = {"train": "#4c78a8", "val": "#f58518"}
PANEL_W, PANEL_H = 270, 210  # one learning-curve panel, in CSS pixels: two tasks' pairs side by side
PAD_L, PAD_R, PAD_T, PAD_B = 50, 10, 42, 38  # the title and the legend are two lines above the plot
MAX_MARKERS = 30  # epochs up to which each point gets a dot (one epoch is a dot only)


@dataclass(frozen=True)
class Bar:
    """One task of the bar chart: fractions in 0..1 (``drawn``: accuracy where the label is drawn;
    ``std``: spread over folds or seeds, drawn as a whisker); ``below``: it does not beat its baseline."""

    task: str
    accuracy: float
    baseline: float | None = None
    drawn: float | None = None
    std: float | None = None
    below: bool = False


def accuracy_bars(bars: list[Bar], *, axis: str = "test accuracy (%)") -> Raw:
    """Horizontal bars of accuracy per task, a tick at each task's majority-class baseline and, where the
    metrics have it, a thinner bar of accuracy where the label is drawn.

    Args:
        bars: one :class:`Bar` per task, top to bottom (at least one).
        axis: the title under the 0-100 axis.
    """
    label_w = min(220, 14 + 7 * max(len(b.task) for b in bars))
    plot_w, row_h = 520, 34 if any(b.drawn is not None for b in bars) else 24
    top, width = 34, label_w + plot_w + 70
    height = top + row_h * len(bars) + 44
    x = lambda v: label_w + plot_w * min(max(v, 0.0), 1.0)  # noqa: E731
    parts = [_legend_bars(bars, label_w)]
    for tick in range(0, 101, 20):
        parts.append(f'<line x1="{x(tick / 100):.1f}" y1="{top - 4}" x2="{x(tick / 100):.1f}" '
                     f'y2="{top + row_h * len(bars)}" stroke="#ddd"/>'
                     f'<text x="{x(tick / 100):.1f}" y="{top + row_h * len(bars) + 16}" class="tick" '
                     f'text-anchor="middle">{tick}</text>')
    parts += [_bar_row(b, top + i * row_h, row_h, label_w, x) for i, b in enumerate(bars)]
    parts.append(f'<text x="{label_w + plot_w / 2}" y="{height - 6}" class="axis-label" '
                 f'text-anchor="middle">{esc(axis)}</text>')
    return _svg(width, height, f"Bar chart: {axis} per task against the majority-class baseline", parts,
                cls="chart bars")


def line_panel(title: str, series: dict[str, tuple[list[float], list[float]]], *, ylabel: str,
               percent: bool = False, xlabel: str = "epoch") -> Raw:
    """A small line chart with a title, axis labels, tick labels and a legend.

    Args:
        title: the line above the plot, e.g. ``"hair · accuracy"``.
        series: ``{"train": (epochs, values), "val": ...}``; a NaN value breaks its line.
        ylabel: the vertical axis title, with its unit.
        percent: the values are fractions, shown as 0..100.
        xlabel: the horizontal axis title.
    """
    scale = 100.0 if percent else 1.0
    series = {k: (xs, [v * scale for v in ys]) for k, (xs, ys) in series.items() if xs}
    xs = [x for sx, _ in series.values() for x in sx] or [1.0]
    ys = [y for _, sy in series.values() for y in sy if math.isfinite(y)] or [0.0]
    x_ticks, y_ticks = _ticks(min(xs), max(xs), integer=True), _ticks(min(ys), max(ys), clip=(0, 100) if percent else None)
    sx = _scale(x_ticks[0], x_ticks[-1], PAD_L, PANEL_W - PAD_R)
    sy = _scale(y_ticks[0], y_ticks[-1], PANEL_H - PAD_B, PAD_T)
    parts = [f'<text x="{PAD_L}" y="14" class="panel-title">{esc(title)}</text>', _legend_lines(list(series))]
    parts += [_grid(sx, sy, x_ticks, y_ticks), _axis_labels(xlabel, ylabel)]
    parts += [_line(name, pts, sx, sy) for name, pts in series.items()]
    return _svg(PANEL_W, PANEL_H, f"{title}: {ylabel} by {xlabel}, " + " and ".join(series), parts,
                cls="chart curve")


def scatter_panel(title: str, true: list[float], pred: list[float], *, max_points: int = 1500) -> Raw:
    """Predicted against true values of a regression task, with the y = x line (perfect predictions).

    Args:
        title: the line above the plot, e.g. ``"age · MAE 2.1"``.
        true: the true values (non-finite pairs are left out).
        pred: the predicted values, one per true value.
        max_points: at most this many dots (an even subsample beyond it keeps the page small).
    """
    pairs = [(t, p) for t, p in zip(true, pred) if math.isfinite(t) and math.isfinite(p)]
    pairs = pairs[::max(1, math.ceil(len(pairs) / max_points))]
    values = [v for pair in pairs for v in pair] or [0.0, 1.0]
    ticks = _ticks(min(values), max(values))
    sx, sy = _scale(ticks[0], ticks[-1], PAD_L, PANEL_W - PAD_R), _scale(ticks[0], ticks[-1], PANEL_H - PAD_B, PAD_T)
    parts = [f'<text x="{PAD_L}" y="14" class="panel-title">{esc(title)}</text>',
             _grid(sx, sy, ticks, ticks), _axis_labels("true", "predicted"),
             f'<line class="identity" x1="{sx(ticks[0]):.1f}" y1="{sy(ticks[0]):.1f}" x2="{sx(ticks[-1]):.1f}" '
             f'y2="{sy(ticks[-1]):.1f}" stroke="#999" stroke-dasharray="4 3"/>']
    parts += [f'<circle cx="{sx(t):.1f}" cy="{sy(p):.1f}" r="2" fill="{ACC}" fill-opacity="0.5"/>' for t, p in pairs]
    return _svg(PANEL_W, PANEL_H, f"{title}: predicted against true value, {len(pairs)} images", parts,
                cls="chart scatter")


def _bar_row(b: Bar, y: float, row_h: float, label_w: float, x) -> str:
    color = BELOW if b.below else ACC
    thick = 12 if b.drawn is not None else 14
    tip = f"{b.task}: accuracy {_pct(b.accuracy)}" + (f" ± {_pct(b.std)}" if b.std else "") + (
        f", baseline {_pct(b.baseline)}" if b.baseline is not None else "") + (
        f", where drawn {_pct(b.drawn)}" if b.drawn is not None else "")
    out = [f'<g><title>{esc(tip)}</title>',
           f'<text x="{label_w - 6}" y="{y + 4 + thick / 2 + 4}" class="task" text-anchor="end">{esc(b.task)}</text>',
           f'<rect class="bar acc" x="{x(0):.1f}" y="{y + 4}" width="{x(b.accuracy) - x(0):.1f}" '
           f'height="{thick}" fill="{color}"/>']
    if b.drawn is not None:
        out.append(f'<rect class="bar drawn" x="{x(0):.1f}" y="{y + 4 + thick + 1}" '
                   f'width="{x(b.drawn) - x(0):.1f}" height="7" fill="{DRAWN}"/>')
    if b.std:
        lo, hi, mid = x(b.accuracy - b.std), x(b.accuracy + b.std), y + 4 + thick / 2
        out.append(f'<line class="std" x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}" stroke="#222"/>')
    if b.baseline is not None:
        out.append(f'<line class="baseline" x1="{x(b.baseline):.1f}" y1="{y + 1}" x2="{x(b.baseline):.1f}" '
                   f'y2="{y + row_h - 3}" stroke="{BASELINE}" stroke-width="2.5"/>')
    out.append(f'<text x="{x(1) + 6:.1f}" y="{y + 4 + thick / 2 + 4}" class="value">{_pct(b.accuracy)}</text></g>')
    return "".join(out)


def _legend_bars(bars: list[Bar], left: float) -> str:
    items = [("rect", ACC, "test accuracy")]
    if any(b.below for b in bars):
        items.append(("rect", BELOW, "not above its baseline"))
    if any(b.drawn is not None for b in bars):
        items.append(("rect", DRAWN, "accuracy where drawn"))
    items.append(("line", BASELINE, "majority-class baseline"))
    if any(b.std for b in bars):
        items.append(("whisker", "#222", "± 1 std"))
    out, x = [], left
    for shape, color, text in items:
        mark = (f'<rect x="{x}" y="8" width="14" height="10" fill="{color}"/>' if shape == "rect" else
                f'<line x1="{x + 7}" y1="5" x2="{x + 7}" y2="21" stroke="{color}" stroke-width="2.5"/>'
                if shape == "line" else f'<line x1="{x}" y1="13" x2="{x + 14}" y2="13" stroke="{color}"/>')
        out.append(f'{mark}<text x="{x + 19}" y="17" class="legend">{esc(text)}</text>')
        x += 28 + 6.5 * len(text)
    return f'<g class="legend">{"".join(out)}</g>'


def _legend_lines(names: list[str]) -> str:
    out, x = [], PAD_L
    for name in names:
        color = LINE_COLORS.get(name, "#666")
        out.append(f'<line x1="{x}" y1="28" x2="{x + 16}" y2="28" stroke="{color}" stroke-width="2"/>'
                   f'<text x="{x + 20}" y="32" class="legend">{esc(name)}</text>')
        x += 52
    return f'<g class="legend">{"".join(out)}</g>'


def _grid(sx, sy, x_ticks: list[float], y_ticks: list[float]) -> str:
    out = [f'<rect x="{PAD_L}" y="{PAD_T}" width="{PANEL_W - PAD_L - PAD_R}" height="{PANEL_H - PAD_T - PAD_B}" '
           'fill="none" stroke="#999"/>']
    for t in y_ticks:
        out.append(f'<line x1="{PAD_L}" y1="{sy(t):.1f}" x2="{PANEL_W - PAD_R}" y2="{sy(t):.1f}" stroke="#e4e4e4"/>'
                   f'<text x="{PAD_L - 4}" y="{sy(t) + 4:.1f}" class="tick" text-anchor="end">{_tick(t)}</text>')
    for t in x_ticks:
        out.append(f'<text x="{sx(t):.1f}" y="{PANEL_H - PAD_B + 14}" class="tick" text-anchor="middle">{_tick(t)}</text>')
    return "".join(out)


def _axis_labels(xlabel: str, ylabel: str) -> str:
    mid_y = (PAD_T + PANEL_H - PAD_B) / 2
    return (f'<text x="{(PAD_L + PANEL_W - PAD_R) / 2}" y="{PANEL_H - 6}" class="axis-label" '
            f'text-anchor="middle">{esc(xlabel)}</text>'
            f'<text x="12" y="{mid_y}" class="axis-label" text-anchor="middle" '
            f'transform="rotate(-90 12 {mid_y})">{esc(ylabel)}</text>')


def _line(name: str, points: tuple[list[float], list[float]], sx, sy) -> str:
    """A polyline per run of finite values (NaN breaks the line), dots when there are few epochs."""
    color, out, run = LINE_COLORS.get(name, "#666"), [], []
    pairs = list(zip(*points))
    for x, y in [*pairs, (None, math.nan)]:
        if math.isfinite(y):
            run.append(f"{sx(x):.1f},{sy(y):.1f}")
            continue
        if len(run) > 1:
            out.append(f'<polyline class="line {esc(name)}" points="{" ".join(run)}" fill="none" '
                       f'stroke="{color}" stroke-width="1.8"/>')
        run = []
    if len(pairs) <= MAX_MARKERS:
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.4" fill="{color}"/>'
                for x, y in pairs if math.isfinite(y)]
    return "".join(out)


def _ticks(lo: float, hi: float, *, integer: bool = False, clip: tuple[float, float] | None = None) -> list[float]:
    """About five round tick values covering lo..hi (a flat range is widened; ``clip`` bounds it)."""
    if hi - lo < 1e-9:
        lo, hi = lo - (0.5 if integer else max(abs(lo) * 0.1, 0.05)), hi + (0.5 if integer else max(abs(hi) * 0.1, 0.05))
    raw = (hi - lo) / 4
    magnitude = 10 ** math.floor(math.log10(raw) + 1e-9)
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = max(1.0, round(step))
    first, last = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step  # 1e-9: float noise
    if clip:
        first, last = max(first, clip[0]), min(last, clip[1])
    return [round(first + i * step, 9) for i in range(int(round((last - first) / step)) + 1)]


def _scale(lo: float, hi: float, out_lo: float, out_hi: float):
    span = (hi - lo) or 1.0
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def _tick(t: float) -> str:
    return f"{t:.0f}" if abs(t - round(t)) < 1e-9 else f"{t:.3g}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _svg(width: float, height: float, label: str, parts: list[str], *, cls: str) -> Raw:
    return Raw(f'<svg class="{cls}" role="img" aria-label="{esc(label)}" '
               f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
               f'<title>{esc(label)}</title>{"".join(parts)}</svg>')

"""Evaluation figures: the shared Agg figure helpers and the predicted-vs-true scatter of a regression task.

matplotlib is imported inside the functions, so ``import toonlab`` stays fast. Figures are built
on the Agg canvas directly, never through ``pyplot``, so nothing is kept in pyplot's registry and
no window can open; ``save_figure`` writes the PNG and clears the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib figure drawn with the Agg backend, outside pyplot.

    Args:
        width: width in inches.
        height: height in inches.

    Example:
        >>> fig = new_figure(4, 3)
        >>> ax = fig.add_subplot()
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` as a PNG at ``path`` (parent folders created), then release its contents.

    Args:
        fig: a figure from :func:`new_figure` (any figure works).
        path: where to write the PNG.

    Returns:
        The path written.

    Example:
        >>> fig = new_figure(4, 3)
        >>> save_figure(fig, "out/empty.png")  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    fig.clear()
    return path


def _point_style(n: int) -> tuple[float, float]:
    """Marker area and alpha that keep 1 point visible and 50k points from becoming a blot."""
    n = max(n, 1)
    size = float(np.clip(300 / np.sqrt(n), 1.0, 30.0))
    alpha = float(np.clip(25 / np.sqrt(n), 0.08, 0.8))
    return size, alpha


def _limits(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """Shared axis limits covering both series, padded by 5% (1 unit when all values are equal)."""
    if not len(y_true):
        return 0.0, 1.0
    lo = float(min(y_true.min(), y_pred.min()))
    hi = float(max(y_true.max(), y_pred.max()))
    pad = 0.05 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def plot_regression(
    path: str | Path, y_true: np.ndarray, y_pred: np.ndarray, *, task: str, unit: str = ""
) -> Path:
    """Scatter of predicted against true values with the y = x line; the title gives MAE and n.

    Pairs where either value is NaN (or infinite) are left out. With no pair left the figure
    is still written, titled "no labelled values".

    Args:
        path: where to write the PNG.
        y_true: (N,) true values; NaN = unlabelled.
        y_pred: (N,) predicted values.
        task: task name, used in the title and axis labels.
        unit: unit shown after the MAE and on the axes, e.g. "years".

    Returns:
        The path written.

    Example:
        >>> plot_regression("run/age.png", np.array([20., 30.]), np.array([22., 29.]),
        ...                 task="age", unit="years")  # doctest: +SKIP
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"plot_regression: y_true and y_pred must have the same length. "
            f"Received: len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    keep = np.isfinite(y_true) & np.isfinite(y_pred)
    y_true, y_pred = y_true[keep], y_pred[keep]
    fig = new_figure(5, 5)
    ax = fig.add_subplot()
    size, alpha = _point_style(len(y_true))
    ax.scatter(y_true, y_pred, s=size, alpha=alpha, linewidths=0, color="tab:blue")
    lo, hi = _limits(y_true, y_pred)
    ax.plot([lo, hi], [lo, hi], color="tab:red", linewidth=1, label="y = x")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    suffix = f" ({unit})" if unit else ""
    ax.set_xlabel(f"true {task}{suffix}")
    ax.set_ylabel(f"predicted {task}{suffix}")
    ax.legend(loc="upper left")
    ax.set_title(_regression_title(task, y_true, y_pred, unit))
    return save_figure(fig, path)


def _regression_title(task: str, y_true: np.ndarray, y_pred: np.ndarray, unit: str) -> str:
    """'age: MAE 2.31 years (n=500)', or a note that nothing was labelled."""
    if not len(y_true):
        return f"{task}: no labelled values"
    mae = float(np.abs(y_pred - y_true).mean())
    unit = f" {unit}" if unit else ""
    return f"{task}: MAE {mae:.3g}{unit} (n={len(y_true)})"

"""Learning curves of every trial of a round, by epoch and by wall time (seed 003, figures 1-6).

One PNG per round (``plots/round-1.png``; ``plots/trials.png`` without rounds): validation loss
on the left against epochs, on the right against the trial's cumulative training seconds; a second
row shows the sweep metric when it is not the validation loss. The best few trials are labelled.
"""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

from toonlab.runs import history_files, read_history
from toonlab.sweep.params import short
from toonlab.sweep.results import Row

LABELLED = 8


def plot_rounds(rows_by_round: dict[int | None, list[Row]], out: Path, metric: str) -> list[Path]:
    """Write one figure per round into ``out/plots/``; returns the files written."""
    written = []
    for round_no, rows in rows_by_round.items():
        curves = _curves(rows, out)
        if not curves:
            continue
        name = f"round-{round_no}.png" if round_no else "trials.png"
        path = out / "plots" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _figure(curves, path, metric, f"round {round_no}" if round_no else "all trials")
        written.append(path)
    return written


def _curves(rows: list[Row], out: Path) -> list[tuple[Row, list[dict[str, float]]]]:
    curves = []
    for r in rows:
        files = history_files(out / r.folder) if r.folder else []
        if files:
            curves.append((r, read_history(files[0])))
    return curves


def _figure(curves, path: Path, metric: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["val_loss"] + ([metric] if metric != "val_loss" else [])
    fig, axes = plt.subplots(len(metrics), 2, figsize=(12, 4.2 * len(metrics)), squeeze=False)
    for i, (r, history) in enumerate(curves):
        epochs = [h["epoch"] for h in history]
        seconds = list(accumulate(h.get("seconds", 0.0) for h in history))
        label = f"#{r.rank} {short(r.point) or 'base'}" if r.rank <= LABELLED else None
        style = {"linewidth": 1.6 if label else 0.7, "alpha": 1.0 if label else 0.45, "label": label}
        for row, m in enumerate(metrics):
            values = [h.get(m, float("nan")) for h in history]
            axes[row][0].plot(epochs, values, **style)
            axes[row][1].plot(seconds, values, **style)
    for row, m in enumerate(metrics):
        axes[row][0].set(xlabel="epoch", ylabel=m, title=f"{m} by epoch, {title}")
        axes[row][1].set(xlabel="training seconds", ylabel=m, title=f"{m} by wall time, {title}")
    axes[0][1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

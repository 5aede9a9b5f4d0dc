"""The report's pictures as PNG bytes in memory: learning curves, image thumbnails, and PNG files
already in the run folder.

matplotlib and PIL are imported inside the functions (``import toonlab`` stays fast). A picture that
cannot be made (an unreadable image, a missing file) gives None, never an exception: the report shows
a placeholder instead.

Example:
    >>> png = learning_curves({"shared": [{"epoch": "1", "train_loss": "2.0", "val_loss": "1.9"}]}, "shared")
    >>> png[:8] == PNG_SIGNATURE
    True
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THUMB_SIDE = 72  # pixels; shown 1:1
MAX_TASK_LINES = 20  # per-task validation curves drawn at most (18 CartoonSet attributes fit)


def learning_curves(histories: dict[str, list[dict[str, str]]], title: str) -> bytes | None:
    """Loss (left) and accuracy or MAE (right) by epoch from ``history.csv`` rows; None without epochs.

    Args:
        histories: ``{network: rows}``: one entry for a shared network (bold train and validation
            curves, a thin validation line per task), or one per task network in separate mode (its
            validation curve, labelled with the task).
        title: the figure title.
    """
    from matplotlib.ticker import MaxNLocator

    from toonlab.evaluate.plots import new_figure

    histories = {name: rows for name, rows in histories.items() if _column(rows, "epoch")}
    if not histories:
        return None
    second = "acc" if any(k.endswith("_acc") for rows in histories.values() for k in rows[0]) else "mae"
    fig = new_figure(11, 3.8)
    for i, kind in enumerate(("loss", second)):
        ax = fig.add_subplot(1, 2, i + 1)
        if len(histories) == 1:
            _plot_shared(ax, next(iter(histories.values())), kind)
        else:
            _plot_networks(ax, histories, kind)
        ax.set(xlabel="epoch", ylabel={"loss": "loss", "acc": "accuracy", "mae": "MAE"}[kind])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
    fig.suptitle(title)
    return _png(fig)


def _plot_shared(ax, history: list[dict[str, str]], kind: str) -> None:
    epochs = _column(history, "epoch")
    for split in ("train", "val"):
        values = _column(history, f"{split}_{kind}")
        if values:
            ax.plot(epochs, values, marker="o", markersize=3, linewidth=2, label=f"{split} {kind}")
    per_task = [k for k in history[0] if k.startswith(f"val_{kind}/")][:MAX_TASK_LINES]
    for key in per_task:
        values = _column(history, key)
        if values:
            ax.plot(epochs, values, linewidth=0.8, alpha=0.6, label=key.split("/", 1)[1] if len(per_task) <= 8 else None)


def _plot_networks(ax, histories: dict[str, list[dict[str, str]]], kind: str) -> None:
    for name, rows in list(histories.items())[:MAX_TASK_LINES]:
        values = _column(rows, f"val_{kind}")
        if values:
            ax.plot(_column(rows, "epoch"), values, linewidth=1.2, label=name if len(histories) <= 8 else None)


def thumbnail(path: Path, side: int = THUMB_SIDE) -> bytes | None:
    """A PNG of the image at ``path`` fitted into ``side`` x ``side`` pixels; None if it cannot be read.

    Example:
        >>> thumbnail(Path("no/such.png")) is None
        True
    """
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.thumbnail((side, side))  # shrinks only; a tiny image grows by whole pixels so it stays sharp
            grow = max(1, side // max(im.size))
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
            return _png_image(im.resize((im.width * grow, im.height * grow), Image.NEAREST) if grow > 1 else im)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        log.info("Report: no thumbnail of %s (%s).", path, e)
        return None


def png_file(path: Path) -> bytes | None:
    """The bytes of a PNG file of the run folder, or None when it is missing or not a PNG."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if data.startswith(PNG_SIGNATURE) else None


def _column(rows: list[dict[str, str]], key: str) -> list[float]:
    """A numeric column (empty when absent or not numbers; blanks become NaN)."""
    if not rows or key not in rows[0]:
        return []
    try:
        return [float(r[key]) if r.get(key) not in ("", None) else float("nan") for r in rows]
    except ValueError:
        return []


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    fig.clear()
    return buffer.getvalue()


def _png_image(im) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    return buffer.getvalue()

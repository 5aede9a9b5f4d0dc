"""Explanation panels: the image, then one attribution overlay per method, titled with the prediction.

Each map is scaled by its own 99th percentile (so a few extreme pixels do not wash the rest out),
clipped to 0..1 and blended in a colormap over the grey image; a pixel's opacity grows with its
value, so unattributed areas show the image itself. Panels are composed as arrays and written with
PIL (a matplotlib figure per panel costs ~1 s; explaining 8 images x 18 tasks writes 144 panels);
matplotlib only lends its colormap and its DejaVu font.

Example:
    >>> panel("run/explain/face1/hair_color.png", image, {"saliency": s, "gradcam": g},
    ...       title="hair_color: predicted 3 (0.91) · true 3")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from toonlab.data.samples import TaskSpec

CMAP = "inferno"
PANE = 256  # pixels per pane side (images are scaled up by a whole factor to about this)
GAP, TITLE_H, LABEL_H = 8, 30, 22
TITLES = {"saliency": "saliency", "ig": "integrated gradients", "smoothgrad": "SmoothGrad", "gradcam": "Grad-CAM"}


def panel(path: str | Path, image: np.ndarray, maps: dict[str, np.ndarray], *, title: str,
          cmap: str = CMAP, alpha: float = 0.8) -> Path:
    """Write a PNG: ``image`` then each map of ``maps`` over the grey image, ``title`` above.

    Args:
        path: where to write the PNG (folders are created).
        image: (H, W, 3) uint8, the image as the network saw it.
        maps: method name → (h, w) attribution map (any size; it is stretched over the image).
        title: the line above the panel (task, prediction, true label).
        cmap: matplotlib colormap of the overlays.
        alpha: opacity of the strongest attribution.

    Returns:
        The path written.
    """
    image = np.asarray(image, dtype=np.uint8)
    image = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image
    scale = max(1, round(PANE / max(image.shape[:2])))
    big = image.repeat(scale, 0).repeat(scale, 1)
    panes = [big] + [overlay(big, amap, cmap=cmap, alpha=alpha) for amap in maps.values()]
    labels = ["image"] + [TITLES.get(m, m) for m in maps]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    compose(panes, labels, title).save(path, "PNG", compress_level=1)
    return path


def overlay(image: np.ndarray, amap: np.ndarray, *, cmap: str = CMAP, alpha: float = 0.8) -> np.ndarray:
    """(H, W, 3) uint8: ``amap`` (stretched bilinearly to H x W) in ``cmap`` over the grey ``image``."""
    from matplotlib import colormaps

    h, w = image.shape[:2]
    norm = normalise_map(amap)
    if norm.shape != (h, w):
        norm = np.clip(np.asarray(Image.fromarray(norm, "F").resize((w, h), Image.Resampling.BILINEAR)), 0, 1)
    grey = image.astype(np.float32).mean(-1, keepdims=True)
    colour = colormaps[cmap](norm)[..., :3].astype(np.float32) * 255
    a = alpha * norm[..., None]
    return np.clip(grey * (1 - a) + colour * a, 0, 255).round().astype(np.uint8)


def normalise_map(amap: np.ndarray, *, percentile: float = 99.0) -> np.ndarray:
    """``|map|`` divided by its ``percentile``-th value and clipped to 0..1 (all zeros stays zeros)."""
    a = np.abs(np.asarray(amap, dtype=np.float32))
    top = float(np.percentile(a, percentile)) if a.size else 0.0
    top = top if top > 0 else float(a.max(initial=0.0))
    return np.clip(a / top, 0.0, 1.0) if top > 0 else np.zeros_like(a)


def prediction_title(task: str, spec: TaskSpec, output: np.ndarray, true: float | None) -> str:
    """'hair_color: predicted brown (0.91) · true black' or, for regression, 'age: predicted 31.2 · true 30'.

    Args:
        output: this image's class probabilities (classification) or predicted value (regression).
        true: the true class index or value; None or NaN = unknown (shown as '?').
    """
    known = true is not None and not (isinstance(true, float) and math.isnan(true))
    if spec.is_regression:
        shown = f"{float(true):g}" if known else "?"
        return f"{task}: predicted {float(np.asarray(output).reshape(-1)[0]):.3g} · true {shown}"
    probs = np.asarray(output, dtype=np.float64).reshape(-1)
    k = int(probs.argmax())
    shown = spec.classes[int(true)] if known else "?"
    return f"{task}: predicted {spec.classes[k]} ({probs[k]:.2f}) · true {shown}"


def compose(panes: list[np.ndarray], labels: list[str], title: str) -> Image.Image:
    """Panes side by side on white, each labelled below a common title."""
    h, w = panes[0].shape[:2]
    title_font, label_font = font(16), font(13)
    width = max(len(panes) * (w + GAP) + GAP, int(title_font.getlength(title)) + 2 * GAP)
    canvas = Image.new("RGB", (width, TITLE_H + h + LABEL_H + GAP), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((width / 2, TITLE_H / 2), title, fill="black", font=title_font, anchor="mm")
    left = (width - len(panes) * (w + GAP) + GAP) // 2
    for i, (pane, label) in enumerate(zip(panes, labels)):
        x = left + i * (w + GAP)
        canvas.paste(Image.fromarray(pane, "RGB"), (x, TITLE_H))
        draw.text((x + w / 2, TITLE_H + h + LABEL_H / 2), label, fill="black", font=label_font, anchor="mm")
    return canvas


@functools.lru_cache(maxsize=4)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """matplotlib's DejaVu Sans (always installed with it), else PIL's default font."""
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size)

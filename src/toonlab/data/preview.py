"""A PNG contact sheet of what augmentation does to a few images: look before you train.

Images go through the same uint8 -> normalised conversion as training batches
(``Batches.to_tensor``) and the same ``BatchAugment``, so the sheet shows exactly what the
network will see.

Example:
    >>> import numpy as np, tempfile, os
    >>> from toonlab.config import AugmentConfig
    >>> images = np.full((2, 32, 32, 3), 255, np.uint8)
    >>> path = augment_preview(images, AugmentConfig(p_invert=0.5), os.path.join(tempfile.mkdtemp(), "a.png"))
    >>> path.suffix
    '.png'
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from toonlab.config import AugmentConfig
from toonlab.data.augment import WHITE, build_augment, to_unit
from toonlab.data.batches import Batches
from toonlab.errors import ToonlabError

GAP = 2  # pixels of grey between tiles, so white backgrounds do not run together
GAP_COLOUR = 128


def augment_preview(
    images: np.ndarray,
    cfg: AugmentConfig,
    out: str | Path,
    *,
    n: int = 8,
    copies: int = 6,
    seed: int = 0,
    background: Sequence[int] = WHITE,
) -> Path:
    """Write a grid: one row per source image, the original first, then ``copies`` augmented versions.

    Args:
        images: (N, H, W, 3) uint8 images, e.g. rows of the image cache; the first ``n`` are used.
        cfg: the augmentation settings to show.
        out: PNG file to write (its folder is created).
        n: rows (source images), at most ``len(images)``.
        copies: augmented versions per image.
        seed: seed of the augmentation generator; the same seed gives the same sheet.
        background: RGB colour the affine transform uncovers (the data's background).

    Returns:
        The path written. The sheet is ``rows·H + (rows+1)·GAP`` pixels high and
        ``(1+copies)·W + (2+copies)·GAP`` wide.
    """
    _check(images, n, copies)
    rows = images[: min(n, len(images))]
    to_tensor = Batches(rows, np.zeros((len(rows), 0), np.int64), np.arange(len(rows)), batch_size=len(rows)).to_tensor
    x = to_tensor(rows)
    augmented = x.repeat_interleave(copies, 0).contiguous(memory_format=torch.channels_last)
    if copies:
        with torch.no_grad():
            augmented = build_augment(cfg, background=background)(augmented, torch.Generator().manual_seed(seed))
    tiles = torch.cat([x.unsqueeze(1), augmented.reshape(len(rows), copies, *x.shape[1:])], 1)
    return _save(_sheet(_to_uint8(tiles)), Path(out))


def _check(images: np.ndarray, n: int, copies: int) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        shape, dtype = getattr(images, "shape", None), getattr(images, "dtype", None)
        raise ToonlabError(f"augment_preview expects images as an (N, H, W, 3) uint8 array. "
                           f"Received: {type(images).__name__} with shape={shape}, dtype={dtype}")
    if len(images) == 0 or n < 1 or copies < 0:
        raise ToonlabError(f"augment_preview needs at least one image, n >= 1 and copies >= 0. "
                           f"Received: {len(images)} images, n={n}, copies={copies}")


def _to_uint8(tiles: torch.Tensor) -> np.ndarray:
    """(rows, cols, 3, H, W) normalised -> (rows, cols, H, W, 3) uint8."""
    unit = to_unit(tiles.flatten(0, 1)).clamp(0, 1).reshape(tiles.shape)
    return (unit * 255).round().to(torch.uint8).permute(0, 1, 3, 4, 2).numpy()


def _sheet(tiles: np.ndarray) -> np.ndarray:
    rows, cols, h, w, _ = tiles.shape
    sheet = np.full((rows * h + (rows + 1) * GAP, cols * w + (cols + 1) * GAP, 3), GAP_COLOUR, np.uint8)
    for r in range(rows):
        for c in range(cols):
            top, left = GAP + r * (h + GAP), GAP + c * (w + GAP)
            sheet[top : top + h, left : left + w] = tiles[r, c]
    return sheet


def _save(sheet: np.ndarray, out: Path) -> Path:
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out, format="PNG")
    return out

"""Tiny data for tests and examples: a CartoonSet-format folder of simple, learnable toy images.

Each toy image shows a coloured disc on a transparent background; task ``color`` is the
disc's colour and task ``size`` its radius, so a small CNN learns both in a few epochs.

Example:
    >>> import tempfile
    >>> root = make_toy_cartoonset(tempfile.mkdtemp(), n=6)
    >>> len(list(root.rglob("*.png")))
    6
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLORS = ((220, 40, 40), (40, 160, 60), (40, 80, 220))
RADII = (0.18, 0.38)


def make_toy_cartoonset(root: str | Path, *, n: int = 40, size: int = 32, seed: int = 0) -> Path:
    """Write ``n`` toy images with sidecar CSVs (tasks ``color``: 3 classes, ``size``: 2) into ``root/0..9``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for i in range(n):
        color, radius = int(rng.integers(len(COLORS))), int(rng.integers(len(RADII)))
        folder = root / str(i % 10)
        folder.mkdir(parents=True, exist_ok=True)
        _disc(size, COLORS[color], RADII[radius]).save(folder / f"toy{i:05d}.png")
        lines = [f'"color", {color}, {len(COLORS)}', f'"size", {radius}, {len(RADII)}']
        (folder / f"toy{i:05d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def set_label(root: str | Path, task: str, index: int) -> Path:
    """Give every image of a toy CartoonSet folder the class ``index`` of ``task`` (e.g. a one-class task)."""
    for sidecar in Path(root).rglob("*.csv"):
        lines = sidecar.read_text(encoding="utf-8").splitlines()
        fixed = [f'"{task}", {index}, {line.rsplit(",", 1)[1].strip()}' if line.startswith(f'"{task}"') else line
                 for line in lines]
        sidecar.write_text("\n".join(fixed) + "\n", encoding="utf-8")
    return Path(root)


def _disc(size: int, color: tuple[int, int, int], radius: float) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    r, c = radius * size, size / 2
    ImageDraw.Draw(img).ellipse((c - r, c - r, c + r, c + r), fill=(*color, 255))
    return img


def shapes_image(path: str | Path, seed: int, size: int = 48) -> Path:
    """A distinct image at ``path`` (a few random ellipses and boxes on a random background), saved by suffix.

    Different seeds give clearly different images, so tests of duplicates and groups are not
    confused by accidental look-alikes.
    """
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(im)
    for _ in range(4):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        w, h = (int(v) for v in rng.integers(size // 6, size // 2, 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=fill)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


# Command-line options for the smallest useful training run in tests: 1 epoch at 16 px, one 8-wide stage.
TINY_TRAIN = ["--epochs", "1", "--image-size", "16", "--batch-size", "16", "--model.widths=[8]",
              "--model.head_width=16", "--no-progress", "-q", "--data.workers=1", "--eval.plots=false",
              "--train.precision=fp32"]


def tiny_train_without(*flags: str) -> list[str]:
    """:data:`TINY_TRAIN` without the given options and their values, e.g. ``tiny_train_without("--epochs")``."""
    out, skip = [], False
    for word in TINY_TRAIN:
        if skip:
            skip = False
        elif word in flags:
            skip = True
        else:
            out.append(word)
    return out


def train_cli(capsys, data: str | Path, run: str | Path, *options: str) -> dict:
    """``toonlab train DATA -o RUN [options] TINY_TRAIN`` through the CLI; asserts exit 0, returns RUN/metrics.json."""
    from toonlab.cli import main  # only where a test trains through the CLI: the data makers stay light

    code = main(["train", str(data), "-o", str(run), *options, *TINY_TRAIN])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads((Path(run) / "metrics.json").read_text(encoding="utf-8"))


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """A CSV file with a header as a list of row dicts."""
    with Path(path).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_tiny_sweep(path: str | Path, space: dict, strategy: dict | None = None, *, metric: str = "val_loss",
                     epochs: int = 2) -> Path:
    """A sweep file over the tiny training settings of :data:`TINY_TRAIN` (16 px, one 8-wide stage, fp32).

    Example:
        >>> import tempfile
        >>> path = write_tiny_sweep(Path(tempfile.mkdtemp()) / "s.yaml", {"train.lr": {"grid": [0.01, 0.002]}})
        >>> from toonlab.sweep import grid_points, load_sweep
        >>> len(grid_points(load_sweep(path)))
        2
    """
    import yaml

    doc = {"config": {"data": {"image_size": 16, "workers": 1}, "model": {"widths": [8], "head_width": 16},
                      "train": {"epochs": epochs, "batch_size": 16, "precision": "fp32", "progress": False},
                      "eval": {"plots": False}},
           "metric": metric, "space": space, "strategy": strategy or {"kind": "grid"}}
    path = Path(path)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def write_image(root: str | Path, rel: str, color: tuple[int, int, int] = (30, 140, 90)) -> Path:
    """An 8 px one-colour RGB image at ``root/rel`` (parent folders made; format from the suffix)."""
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), color).save(path)
    return path


def write_lines(path: str | Path, *lines: str) -> Path:
    """A UTF-8 text file of ``lines`` (a CSV, a sidecar, a note), parent folders made."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


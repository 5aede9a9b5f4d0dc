"""Robustness: accuracy on validation images changed by fixed-severity transforms (seed 002, Table 7).

Every transform maps a uint8 batch ``(B, 3, H, W)``, a severity and a ``torch.Generator`` to a uint8
batch of the same shape; the same generator state gives the same output. ``robustness`` runs the model
on the clean images and on each transform × severity, one batch at a time (transformed images are never
all in memory at once), and reports per-task accuracy (classification) or mean absolute error
(regression), plus the mean accuracy over the classification tasks.

Example:
    >>> x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    >>> TRANSFORMS.get("invert").fn(x, 1.0, torch.Generator()).unique().tolist()
    [255]
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from torch import Tensor, nn

from toonlab.config import AugmentConfig
from toonlab.data import augment
from toonlab.data.batches import MEAN, STD
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.registry import Registry
from toonlab.runtime import Runtime

TransformFn = Callable[[Tensor, float, torch.Generator], Tensor]
"""``fn(images, severity, generator) -> images``: uint8 (B, 3, H, W) in and out."""

PIXEL_NOISE_LEVEL = 0.5  # IgNet-style pixel noise: a picked pixel moves by up to half the full range


@dataclass(frozen=True)
class Transform:
    """A registered robustness transform.

    Attributes:
        fn: ``(uint8 images (B, 3, H, W), severity, generator) -> uint8 images`` of the same shape.
        severities: the default severities, mildest first.
        meaning: what a severity means, in one sentence (copied into the result).
    """

    fn: TransformFn
    severities: tuple[float, ...]
    meaning: str


TRANSFORMS: Registry[Transform] = Registry("robustness transform")
DEFAULT_TRANSFORMS: tuple[str, ...] = (
    "jitter", "rotate", "hflip", "vflip", "invert", "sharpness", "gaussian_noise", "pixel_noise", "grayscale")


def _transform(
    name: str, severities: Sequence[float], meaning: str, *, unit: bool = True
) -> Callable[[TransformFn], TransformFn]:
    """Register ``fn`` under ``name``; with ``unit`` it works on 0..1 floats and is wrapped to uint8 in/out."""

    def add(fn: TransformFn) -> TransformFn:
        wrapped = _on_unit(fn) if unit else fn
        TRANSFORMS.register(name)(Transform(wrapped, tuple(float(s) for s in severities), meaning))
        return fn

    return add


def _on_unit(fn: TransformFn) -> TransformFn:
    def wrapped(x: Tensor, s: float, g: torch.Generator) -> Tensor:
        y = fn(x.float() / 255, s, g)
        return (y * 255).round_().clamp_(0, 255).to(torch.uint8)

    wrapped.__doc__, wrapped.__name__ = fn.__doc__, fn.__name__
    return wrapped


def _signs(x: Tensor, g: torch.Generator) -> Tensor:
    """±1 per image, shaped (B, 1, 1, 1)."""
    bits = torch.randint(0, 2, (x.shape[0], 1, 1, 1), generator=g, device=x.device)
    return bits.to(x.dtype) * 2 - 1


def _factors(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (1 + _signs(x, g) * s).clamp_min(0)


def _blend(x: Tensor, other: Tensor, factor: Tensor) -> Tensor:
    return (factor * x + (1 - factor) * other).clamp(0, 1)


# --- the transforms -----------------------------------------------------------------------------------

@_transform("jitter", (0.2, 0.4, 0.8), "brightness, contrast and saturation factors 1±s and a hue shift of "
            "±s/4 of the colour wheel, each sign random per image (torchvision ColorJitter order)")
def _jitter(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    for fn, amount in ((_brightness, s), (_contrast, s), (_saturation, s), (_hue, s / 4)):
        x = fn(x, amount, g)
    return x


@_transform("brightness", (0.2, 0.4, 0.8), "pixel values times 1±s, sign random per image")
def _brightness(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (x * _factors(x, s, g)).clamp(0, 1)


@_transform("contrast", (0.2, 0.4, 0.8), "blend with the image's mean grey by factor 1±s, sign random per image")
def _contrast(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return _blend(x, TF.rgb_to_grayscale(x).mean((1, 2, 3), keepdim=True), _factors(x, s, g))


@_transform("saturation", (0.2, 0.4, 0.8), "blend with the grey image by factor 1±s, sign random per image")
def _saturation(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return _blend(x, TF.rgb_to_grayscale(x), _factors(x, s, g))


@_transform("hue", (0.05, 0.1, 0.2), "hue shifted by ±s of the colour wheel, sign random per image")
def _hue(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    signs = _signs(x, g).view(-1)
    out = x.clone()
    for sign in (1.0, -1.0):
        picked = signs == sign
        if picked.any():
            out[picked] = TF.adjust_hue(x[picked], sign * min(s, 0.5))
    return out


@_transform("rotate", (10, 20, 40), "rotation by s degrees, direction random per image; the uncovered "
            "corners take the image's background (median of its four corner pixels)")
def _rotate(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    n, _, h, w = x.shape
    angle = _signs(x, g).view(-1) * math.radians(s)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, sin * (h / w), torch.zeros_like(cos)], -1),
                         torch.stack([-sin * (w / h), cos, torch.zeros_like(cos)], -1)], 1)
    fill = x[:, :, [0, 0, -1, -1], [0, -1, 0, -1]].median(-1).values.view(n, 3, 1, 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Zero padding of (x - fill) is fill padding of x (as augment.affine does).
    return F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


@_transform("sharpness", (0.0, 2.0, 4.0), "torchvision adjust_sharpness factor: 0 = smoothed (blurred), "
            "1 = unchanged, 2 and 4 = sharpened")
def _sharpness(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.adjust_sharpness(x, s)


@_transform("gaussian_noise", (0.05, 0.1, 0.2), "independent Gaussian noise per pixel and channel with "
            "standard deviation s of the full range")
def _gaussian_noise(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (x + s * torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)).clamp(0, 1)


@_transform("pixel_noise", (0.05, 0.1, 0.2), f"IgNet noise: a fraction s of the pixels each moves by one "
            f"uniform amount within ±{PIXEL_NOISE_LEVEL} of the full range (all channels together)")
def _pixel_noise(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    cfg = AugmentConfig(noise_fraction=s, noise_level=PIXEL_NOISE_LEVEL)
    return augment.noise(x, cfg, g, torch.ones(3, device=x.device))


@_transform("hflip", (1,), "mirror left-right (severity unused)", unit=False)
def _hflip(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.hflip(x)


@_transform("vflip", (1,), "upside down (severity unused)", unit=False)
def _vflip(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.vflip(x)


@_transform("invert", (1,), "colours inverted, 255 - value (severity unused)", unit=False)
def _invert(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.invert(x)


@_transform("grayscale", (1,), "ITU-R 601 luma copied to all three channels (severity unused)", unit=False)
def _grayscale(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.rgb_to_grayscale(x, num_output_channels=3).contiguous()


def list_transforms() -> list[str]:
    """Names of every registered robustness transform."""
    return TRANSFORMS.names()


def plan_transforms(transforms: Sequence[str] | Mapping[str, Sequence[float]] | None = None) -> list[tuple[str, float]]:
    """The ``(name, severity)`` pairs to evaluate, in order.

    Args:
        transforms: None for ``DEFAULT_TRANSFORMS`` at their default severities, a list of names (default
            severities), or ``{name: severities}``.

    Raises:
        ToonlabError: an unknown name or a severity that is not a finite number.

    Example:
        >>> plan_transforms({"rotate": [5]})
        [('rotate', 5.0)]
    """
    if transforms is None:
        transforms = DEFAULT_TRANSFORMS
    if isinstance(transforms, str):
        transforms = [transforms]
    named = transforms if isinstance(transforms, Mapping) else {n: None for n in transforms}
    plan = []
    for name, severities in named.items():
        try:
            spec = TRANSFORMS.get(name)
        except KeyError as e:
            raise ToonlabError(str(e).strip('"')) from None
        for s in spec.severities if severities is None else severities:
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s):
                raise ToonlabError(f"Severities of {name!r} must be finite numbers. Received: {s!r}")
            plan.append((name, float(s)))
    return plan


# --- evaluation ---------------------------------------------------------------------------------------

@torch.no_grad()
def robustness(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    tasks: dict[str, TaskSpec],
    runtime: Runtime,
    *,
    transforms: Sequence[str] | Mapping[str, Sequence[float]] | None = None,
    batch_size: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of ``model`` on clean and on transformed images ``rows`` of ``images``.

    Each (transform, severity) draws from its own generator seeded by ``(seed, name, severity)``, so the
    same seed, rows and batch size give the same numbers, whatever other transforms are evaluated.

    Args:
        model: maps a normalised (B, 3, H, W) batch to ``{task: logits (B, K)}`` or ``{task: values (B,)}``.
        images: (N, H, W, 3) uint8 array (a memmap is fine: it is read one batch at a time).
        labels: (N, T) array, one column per task in ``tasks`` order; NaN (or a negative class) = no label.
        rows: the rows to evaluate (e.g. the validation split).
        tasks: task name → spec.
        runtime: device, precision and memory format.
        transforms: see :func:`plan_transforms` (default: ``DEFAULT_TRANSFORMS``).
        batch_size: images per forward pass.
        seed: base seed of the random transforms.

    Returns:
        A JSON-safe dict: ``seed``, ``n_images``, ``clean`` and ``transforms`` (a list, one entry per
        transform × severity with ``transform``, ``severity``, ``mean_accuracy``, ``change_pp`` and
        ``tasks``), and ``meanings`` (what each transform's severity means). A ``tasks`` entry holds
        ``kind``, ``n`` and ``accuracy`` or ``mae``; a metric with no labelled images is None.

    Example:
        >>> result = robustness(model, cache, labels, val_rows, tasks, runtime)  # doctest: +SKIP
        >>> print(format_robustness(result))  # doctest: +SKIP
    """
    _check_inputs(images, labels, rows, tasks, batch_size)
    plan = [("clean", 0.0), *plan_transforms(transforms)]
    generators = [_generator(seed, name, s, runtime.device) for name, s in plan]
    tallies = [_Tally(tasks) for _ in plan]
    model.eval()
    for x8, y in _uint8_batches(images, labels, np.asarray(rows, np.int64), batch_size, runtime.device):
        for (name, s), g, tally in zip(plan, generators, tallies):
            x = x8 if name == "clean" else TRANSFORMS.get(name).fn(x8, s, g)
            tally.update(_forward(model, _normalise(x, runtime), runtime, tasks), y)
    clean = tallies[0].summary()
    entries = [_entry(name, s, t.summary(), clean) for (name, s), t in zip(plan[1:], tallies[1:])]
    meanings = {name: TRANSFORMS.get(name).meaning for name, _ in plan[1:]}
    return {"seed": seed, "n_images": int(len(rows)), "clean": clean, "transforms": entries, "meanings": meanings}


class _Tally:
    """Running counts per task: labelled images and hits (classification) or absolute error (regression)."""

    def __init__(self, tasks: dict[str, TaskSpec]) -> None:
        self.tasks = tasks
        self.n = dict.fromkeys(tasks, 0)
        self.total = dict.fromkeys(tasks, 0.0)

    def update(self, preds: dict[str, np.ndarray], y: np.ndarray) -> None:
        for j, (name, spec) in enumerate(self.tasks.items()):
            col = y[:, j].astype(np.float64)
            mask = np.isfinite(col) if spec.is_regression else np.isfinite(col) & (col >= 0)
            p, t = preds[name][mask], col[mask]
            self.total[name] += float(np.abs(p - t).sum() if spec.is_regression else (p == t).sum())
            self.n[name] += int(mask.sum())

    def summary(self) -> dict[str, Any]:
        out = {}
        for name, spec in self.tasks.items():
            value = self.total[name] / self.n[name] if self.n[name] else None
            out[name] = {"kind": spec.kind, "mae" if spec.is_regression else "accuracy": value, "n": self.n[name]}
        accs = [m["accuracy"] for m in out.values() if m.get("accuracy") is not None]
        return {"mean_accuracy": float(np.mean(accs)) if accs else None, "tasks": out}


def _entry(name: str, severity: float, summary: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    mean, base = summary["mean_accuracy"], clean["mean_accuracy"]
    change = 100 * (mean - base) if mean is not None and base is not None else None
    return {"transform": name, "severity": severity, "mean_accuracy": mean, "change_pp": change,
            "tasks": summary["tasks"]}


def _uint8_batches(
    images: np.ndarray, labels: np.ndarray, rows: np.ndarray, batch_size: int, device: torch.device
) -> Iterator[tuple[Tensor, np.ndarray]]:
    """Yield (uint8 (B, 3, H, W) on ``device``, labels (B, T) numpy); rows sorted per batch for memmap reads."""
    for start in range(0, len(rows), batch_size):
        chunk = np.sort(rows[start : start + batch_size])
        x = torch.from_numpy(np.ascontiguousarray(images[chunk])).to(device).permute(0, 3, 1, 2)
        yield x, np.asarray(labels[chunk])


def _normalise(x: Tensor, runtime: Runtime) -> Tensor:
    """uint8 (B, 3, H, W) -> float normalised with MEAN/STD, as ``Batches.to_tensor`` does."""
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1) * 255
    x = (x.float() - mean) / std
    return x.contiguous(memory_format=torch.channels_last if runtime.channels_last else torch.contiguous_format)


def _forward(model: nn.Module, x: Tensor, runtime: Runtime, tasks: dict[str, TaskSpec]) -> dict[str, np.ndarray]:
    """Predicted class index (classification) or value (regression) per task, as numpy float64."""
    with runtime.autocast():
        outputs = model(x)
    missing = [name for name in tasks if name not in outputs]
    if missing:
        raise ToonlabError(f"The model has no output for task(s) {missing}; it predicts {sorted(outputs)}. "
                           f"Received: tasks={list(tasks)}")
    preds = {}
    for name, spec in tasks.items():
        out = outputs[name].float()
        preds[name] = (out.reshape(-1) if spec.is_regression else out.argmax(1)).double().cpu().numpy()
    return preds


def _generator(seed: int, name: str, severity: float, device: torch.device) -> torch.Generator:
    key = zlib.crc32(f"{name}:{severity!r}".encode())
    state = int(np.random.SeedSequence([seed, key]).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(state)


def _check_inputs(
    images: np.ndarray, labels: np.ndarray, rows: Any, tasks: dict[str, TaskSpec], batch_size: int
) -> None:
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ToonlabError(f"robustness() expects images as a (N, H, W, 3) uint8 array. "
                           f"Received: dtype={images.dtype}, shape={tuple(images.shape)}")
    if labels.ndim != 2 or labels.shape[0] != images.shape[0] or labels.shape[1] != len(tasks):
        raise ToonlabError(f"robustness() expects labels shaped (N, T) = ({images.shape[0]}, {len(tasks)}), one "
                           f"column per task. Received: labels shape {tuple(labels.shape)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ToonlabError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    if len(rows) and (np.min(rows) < 0 or np.max(rows) >= images.shape[0]):
        raise ToonlabError(f"rows must index images (0..{images.shape[0] - 1}). "
                           f"Received: rows from {np.min(rows)} to {np.max(rows)}")


# --- reporting ----------------------------------------------------------------------------------------

MAX_TASK_COLUMNS = 6


def format_robustness(result: dict[str, Any]) -> str:
    """A plain-text table: one row for clean and one per transform × severity.

    Columns: transform, severity, mean accuracy over classification tasks, its change vs clean in
    percentage points, then accuracy (or MAE for regression) of the first ``MAX_TASK_COLUMNS`` tasks.

    Example:
        >>> r = {"clean": {"mean_accuracy": 0.9, "tasks": {"a": {"kind": "classification", "accuracy": 0.9}}},
        ...      "transforms": [{"transform": "vflip", "severity": 1.0, "mean_accuracy": 0.6, "change_pp": -30.0,
        ...                      "tasks": {"a": {"kind": "classification", "accuracy": 0.6}}}]}
        >>> print(format_robustness(r).splitlines()[3])
        vflip             1    60.00%     -30.00  60.00%
    """
    names = list(result["clean"]["tasks"])
    shown = names[:MAX_TASK_COLUMNS]
    header = ("transform", "severity", "mean acc", "change pp",
              *(f"{n} (MAE)" if result["clean"]["tasks"][n]["kind"] == "regression" else n for n in shown))
    rows = [_table_row("clean", "", result["clean"], "", shown)]
    for e in result["transforms"]:
        rows.append(_table_row(e["transform"], f"{e['severity']:g}", e, _signed(e["change_pp"]), shown))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_fmt(header, widths), _fmt(tuple("-" * w for w in widths), widths), *(_fmt(r, widths) for r in rows)]
    if len(names) > len(shown):
        lines.append(f"({len(names) - len(shown)} more tasks in the JSON: {', '.join(names[len(shown):])})")
    return "\n".join(lines)


def _table_row(name: str, severity: str, summary: dict[str, Any], change: str, shown: list[str]) -> tuple[str, ...]:
    cells = []
    for task in shown:
        m = summary["tasks"][task]
        cells.append(_number(m.get("mae")) if m["kind"] == "regression" else _pct(m.get("accuracy")))
    return (name, severity, _pct(summary["mean_accuracy"]), change, *cells)


def _pct(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def _number(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.4g}"


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f}"


def _fmt(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join([cells[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))]).rstrip()


def write_robustness(path: str | Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as indented JSON to ``path`` (parent folders are created); returns the path.

    Example:
        >>> write_robustness(tmp / "robustness.json", result)  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    return path

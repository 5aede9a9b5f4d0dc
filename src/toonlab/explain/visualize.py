"""``toonlab visualize``: what a network's weights look like and what its layers make of one image.

CNN: the first conv layer's filters as a grid of RGB tiles (``filters.png``) and, for one image, the
feature maps of each conv stage (``<image stem>/stage<k>.png``: up to 64 channels, the strongest for
this image, each stretched to its own range in a colormap).

MLP (Niaz §2.3, figs. 4-5): the first hidden layer's neurons see the flattened pixels, so each
neuron's weights reshape to an image (``neurons_first.png``). A neuron of the hidden layer in the
middle of the stack (``neurons_middle.png``, only with 2+ hidden layers) is shown by its *linear
back-projection*: its weights times every weight matrix (and eval batch-norm scale) below it, as if
each activation were the identity. That is the pixel pattern which drives it summed over all paths;
ReLUs cut some paths for any one image, so read it as a tendency, not an exact map. Per image,
``<stem>/outputs.png`` is the paper's figure: the image, the weights of the first and the middle
neuron (0 and n//2) of the first hidden layer, their outputs before summation (weight × normalised
pixel, which sums to the neuron's input minus its bias), and each shown layer's activations as a
heat strip. Separate-mode runs get one subfolder per task network.

Example:
    >>> visualize_run("runs/demo")  # doctest: +SKIP
    [PosixPath('runs/demo/visualize/filters.png'), PosixPath('runs/demo/visualize/face1/input.png'), ...]
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from toonlab.errors import ToonlabError
from toonlab.explain.panels import PANE, compose, font
from toonlab.explain.run import networks
from toonlab.inference.images import decode_images
from toonlab.inference.networks import RunNetwork
from toonlab.runs import best_checkpoints, load_run_config

log = logging.getLogger(__name__)

VISUALIZE_DIR = "visualize"
LAYERS = ("first", "middle")
GAP = 2  # pixels between tiles
FILTER_PX, MAP_PX = 24, 48  # tiles are scaled up by a whole factor to at least this many pixels
CMAP = "viridis"


def filter_grid(weight: torch.Tensor | np.ndarray, *, gap: int = GAP, min_px: int = FILTER_PX) -> np.ndarray:
    """Conv filters (O, C, kh, kw) → a (H, W, 3) uint8 grid: one tile per filter, min-max normalised over
    the filter, RGB when C == 3 and grey (channel mean) otherwise, on white.

    Example:
        >>> filter_grid(torch.randn(4, 3, 3, 3)).shape  # 2 x 2 tiles of 24 px, 2 px gaps
        (54, 54, 3)
    """
    w = _numpy(weight)
    if w.ndim != 4:
        raise ToonlabError(f"filter_grid expects conv weights shaped (out, in, kh, kw). Received: shape {w.shape}")
    w = w.transpose(0, 2, 3, 1)
    w = w if w.shape[-1] == 3 else w.mean(-1, keepdims=True)
    return tile_grid(_to_uint8(_minmax(w)), gap=gap, min_px=min_px)


def maps_grid(maps: torch.Tensor | np.ndarray, max_channels: int = 64, *, cmap: str = CMAP, gap: int = GAP,
              min_px: int = MAP_PX) -> np.ndarray:
    """Feature maps (C, h, w) → a (H, W, 3) uint8 grid of the ``max_channels`` channels with the largest
    mean activation (in channel order), each min-max normalised on its own and drawn in ``cmap``."""
    from matplotlib import colormaps

    a = _numpy(maps)
    if a.ndim != 3:
        raise ToonlabError(f"maps_grid expects feature maps shaped (channels, h, w). Received: shape {a.shape}")
    keep = np.sort(np.argsort(-a.mean((1, 2)), kind="stable")[:max_channels])
    norm = _minmax(a[keep], flat=0.0)
    return tile_grid(_to_uint8(colormaps[cmap](norm)[..., :3]), gap=gap, min_px=min_px)


def tile_grid(tiles: np.ndarray, *, gap: int = GAP, min_px: int = FILTER_PX) -> np.ndarray:
    """(N, h, w, 1 or 3) uint8 tiles → one about-square (H, W, 3) grid on white, with ``gap`` pixels
    around every tile; tiles are scaled up (nearest) by a whole factor to at least ``min_px``."""
    n, h, w = tiles.shape[:3]
    tiles = np.broadcast_to(tiles, (n, h, w, 3)) if tiles.shape[-1] == 1 else tiles
    k = max(1, -(-min_px // max(h, w)))
    tiles = tiles.repeat(k, 1).repeat(k, 2)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    th, tw = h * k, w * k
    grid = np.full((rows * (th + gap) + gap, cols * (tw + gap) + gap, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        grid[y : y + th, x : x + tw] = tile
    return grid


def feature_maps(model: nn.Module, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """``[("stage1", (C, h, w)), ...]``: each conv stage's output for one image ``x`` (3, H, W) or (1, 3, H, W),
    caught by forward hooks during one eval-mode, no-grad forward pass (the hooks are removed after)."""
    stages = getattr(getattr(model, "backbone", model), "stages", None)
    if stages is None:
        raise ToonlabError("feature_maps needs a CNN (a backbone with conv `stages`); this model has none (an MLP?).")
    named = {f"stage{i + 1}": stage for i, stage in enumerate(stages)}
    return [(name, out[0]) for name, out in _capture(model, named, _one_image(x)).items()]


def neuron_weights(model: nn.Module, image_size: int, which: Sequence[str] = LAYERS, *, max_neurons: int = 64,
                   grayscale: bool = False) -> dict[str, np.ndarray]:
    """An MLP's hidden neurons as images: ``{layer: (n, S, S, C) float32}`` for up to ``max_neurons`` neurons.

    'first' is the first hidden layer's weights; 'middle' the back-projected weights of hidden layer
    ``L // 2`` (see the module docstring), left out when the stack has a single hidden layer.
    With ``grayscale`` the channels are summed (C = 1): a grey input feeds the same pixel to all three.
    """
    hidden, linears = _hidden_linears(model)
    out = {}
    for name, pos in _layer_positions(linears, which).items():
        w = back_projection(hidden, linears[pos], max_neurons=max_neurons)
        out[name] = as_images(w, image_size, grayscale=grayscale)
    return out


def neuron_outputs(model: nn.Module, x: torch.Tensor, which: Sequence[str] = LAYERS) -> dict[str, np.ndarray]:
    """An MLP's hidden activations for one image ``x``: ``{layer: (n,)}``, each the output of the layer's
    whole block (linear, norm and activation), from one eval-mode forward pass."""
    hidden, linears = _hidden_linears(model)
    ends = [nxt - 1 for nxt in linears[1:]] + [len(hidden) - 1]
    named = {name: hidden[ends[pos]] for name, pos in _layer_positions(linears, which).items()}
    return {name: out[0].numpy() for name, out in _capture(model, named, _one_image(x)).items()}


@torch.no_grad()
def back_projection(hidden: nn.Sequential, index: int, *, max_neurons: int | None = None) -> torch.Tensor:
    """(n, D) weights of the Linear ``hidden[index]`` carried down to the input: multiplied by each
    Linear's weights and each eval batch norm's scale below it; activations and dropout count as identity."""
    m = hidden[index].weight[:max_neurons].float().cpu()
    for layer in reversed(list(hidden)[:index]):
        if isinstance(layer, nn.Linear):
            m = m @ layer.weight.float().cpu()
        elif isinstance(layer, nn.BatchNorm1d) and layer.running_var is not None:
            scale = torch.rsqrt(layer.running_var.float().cpu() + layer.eps)
            m = m * (scale * layer.weight.float().cpu() if layer.weight is not None else scale)
    return m


def as_images(w: torch.Tensor | np.ndarray, image_size: int, *, grayscale: bool = False) -> np.ndarray:
    """(n, C·S·S) weights over flattened (C, S, S) pixels → (n, S, S, C) float32 (C = 1 summed with ``grayscale``)."""
    w = _numpy(w)
    n, d = w.shape
    if d % (image_size * image_size):
        raise ToonlabError(f"The layer has {d} inputs, which are not whole {image_size}x{image_size} images. "
                           f"Received: image_size={image_size}")
    images = w.reshape(n, -1, image_size, image_size).transpose(0, 2, 3, 1)
    return images.sum(-1, keepdims=True) if grayscale else images


def visualize_run(run: str | Path, image: str | Path | None = None, *, out: str | Path | None = None,
                  max_channels: int = 64, device: str = "cpu") -> list[Path]:
    """Write the weight and activation pictures of every network of ``run`` for one image.

    Args:
        run: a training run folder (shared or separate mode).
        image: an image file; None = the first image of the run's test split.
        out: output folder; None = ``RUN/visualize``.
        max_channels: feature-map channels (and MLP neurons) shown per grid.
        device: 'cpu' or 'cuda'.

    Returns:
        The PNG paths written.

    Raises:
        ToonlabError: the run has no checkpoints, the image is missing or unreadable, or max_channels < 1.
    """
    if not isinstance(max_channels, int) or isinstance(max_channels, bool) or max_channels < 1:
        raise ToonlabError(f"max_channels must be a whole number >= 1. Received: max_channels={max_channels!r}")
    run, dev = Path(run), torch.device(device)
    checkpoints = best_checkpoints(run)
    path = Path(image) if image is not None else first_test_image(run)
    if not path.is_file():
        raise ToonlabError(f"No image file at {str(path)!r}; pass an existing image to visualize. Received: {str(path)!r}")
    out = Path(out) if out else run / VISUALIZE_DIR
    written: list[Path] = []
    for ckpt, net in zip(checkpoints, networks(run, "all", dev), strict=True):
        owner = ckpt.parent.parent  # RUN (shared mode) or RUN/tasks/<task> (separate mode)
        folder = out if owner == run else out / owner.name
        pixels = decode_images([path], net.prep)[0]
        x = net.prep.to_tensor(pixels, net.runtime)
        written.append(_save_image(folder / path.stem / "input.png", pixels[0]))
        backbone = getattr(net.model, "backbone", net.model)
        if hasattr(backbone, "stages"):
            written += _cnn_pictures(folder, path.stem, net, x, max_channels)
        elif hasattr(backbone, "hidden"):
            written += _mlp_pictures(folder, path.stem, net, pixels[0], x, max_channels)
        else:
            log.warning("%s is neither a CNN nor an MLP; only the input image was written.", ckpt)
    return written


def first_test_image(run: Path) -> Path:
    """The first test image named in ``RUN/splits.csv`` (the order evaluation uses), under the run's data folder."""
    splits = run / "splits.csv"
    if not splits.is_file():
        raise ToonlabError(f"{str(run)!r} has no splits.csv to pick a test image from; pass IMAGE.")
    with splits.open(newline="", encoding="utf-8") as f:
        first = next((row["file"] for row in csv.DictReader(f) if row.get("split") == "test"), None)
    if first is None:
        raise ToonlabError("The run's test split is empty; pass IMAGE to visualize.")
    return Path(load_run_config(run).data.path) / first


def _cnn_pictures(folder: Path, stem: str, net: RunNetwork, x: torch.Tensor, max_channels: int) -> list[Path]:
    conv = next(m for m in net.model.backbone.stages.modules() if isinstance(m, nn.Conv2d))
    w = conv.weight.sum(1, keepdim=True) if net.prep.grayscale else conv.weight  # a grey input: channels add up
    o, _, kh, kw = w.shape
    note = ", channels summed (grey input)" if net.prep.grayscale else ""
    written = [_save(folder / "filters.png", filter_grid(w), f"first conv layer: {o} filters {kh}x{kw}",
                     f"each filter min-max normalised{note}")]
    for name, maps in feature_maps(net.model, x):
        c, h, wd = maps.shape
        shown = f"{min(c, max_channels)} of {c} channels (strongest mean)" if c > max_channels else f"{c} channels"
        written.append(_save(folder / stem / f"{name}.png", maps_grid(maps, max_channels),
                             f"{stem}: {name} feature maps, {h}x{wd}", f"{shown}, each normalised to its range"))
    return written


def _mlp_pictures(folder: Path, stem: str, net: RunNetwork, pixels: np.ndarray, x: torch.Tensor,
                  max_channels: int) -> list[Path]:
    hidden, linears = _hidden_linears(net.model)
    if not linears:
        log.warning("The MLP has no hidden layer; there are no neuron weights to show.")
        return []
    written = []
    positions = _layer_positions(linears, LAYERS)
    weights = neuron_weights(net.model, net.prep.image_size, max_neurons=max_channels, grayscale=net.prep.grayscale)
    for name, images in weights.items():
        pos = positions[name]
        how = "weights as images" if pos == 0 else "weights back-projected to the image (activations as identity)"
        written.append(_save(folder / f"neurons_{name}.png", tile_grid(_to_uint8(_minmax(images))),
                             f"hidden layer {pos + 1} of {len(linears)}: {how}",
                             f"neurons 0-{len(images) - 1} of {hidden[linears[pos]].out_features}, each min-max normalised"))
    written.append(_outputs_figure(folder / stem / "outputs.png", stem, net, pixels, x, linears))
    return written


def _outputs_figure(path: Path, stem: str, net: RunNetwork, pixels: np.ndarray, x: torch.Tensor,
                    linears: list[int]) -> Path:
    """The paper's figure: image, first/middle neuron weights and weight x pixel, then activation strips."""
    first = net.model.backbone.hidden[linears[0]]
    n = first.out_features
    w = as_images(first.weight[[0, n // 2]].detach(), net.prep.image_size)
    contrib = w * _numpy(x[0]).transpose(1, 2, 0)
    if net.prep.grayscale:
        w, contrib = w.sum(-1, keepdims=True), contrib.sum(-1, keepdims=True)
    scale = max(1, round(PANE / net.prep.image_size))
    panes = [pixels] + [np.broadcast_to(_to_uint8(_minmax(a[None]))[0], pixels.shape) for a in (*w, *contrib)]
    panes = [p.repeat(scale, 0).repeat(scale, 1) for p in panes]
    labels = ["input image", "first neuron weights", "middle neuron weights", "first neuron outputs",
              "middle neuron outputs"]
    top = compose(panes, labels, f"{stem}: hidden layer 1, neurons 0 and {n // 2} of {n} (outputs = weight x pixel)")
    positions = _layer_positions(linears, LAYERS)
    strips = {f"hidden layer {positions[k] + 1} activations ({len(v)} neurons, "
              f"{v.min():.3g} to {v.max():.3g})": v for k, v in neuron_outputs(net.model, x).items()}
    return _save_canvas(path, _with_strips(top, strips))


def _with_strips(top: Image.Image, strips: dict[str, np.ndarray], height: int = 20) -> Image.Image:
    """``top`` with one labelled heat strip per activation vector below it (a cell per neuron, ``CMAP``)."""
    from matplotlib import colormaps

    pad, text_font = 8, font(13)
    width = top.width - 2 * pad
    canvas = Image.new("RGB", (top.width, top.height + len(strips) * (height + 24)), "white")
    canvas.paste(top, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, (label, values) in enumerate(strips.items()):
        y = top.height + i * (height + 24)
        draw.text((pad, y + 2), label, fill="black", font=text_font)
        cells = _minmax(values[None], flat=0.0)[0][np.arange(width) * len(values) // width]
        strip = _to_uint8(colormaps[CMAP](np.broadcast_to(cells, (height, width)))[..., :3])
        canvas.paste(Image.fromarray(strip, "RGB"), (pad, y + 20))
    return canvas


def _capture(model: nn.Module, modules: dict[str, nn.Module], x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each named module's output (on the CPU, fp32) in one eval, no-grad forward pass of ``model``."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _i, o, name=name: seen.__setitem__(name, o.detach().float().cpu().clone()))
             for name, m in modules.items()]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return {name: seen[name] for name in modules}


def _hidden_linears(model: nn.Module) -> tuple[nn.Sequential, list[int]]:
    hidden = getattr(getattr(model, "backbone", model), "hidden", None)
    if hidden is None:
        raise ToonlabError("Neuron weights need an MLP (a backbone with a `hidden` dense stack); this model has none.")
    return hidden, [i for i, m in enumerate(hidden) if isinstance(m, nn.Linear)]


def _layer_positions(linears: list[int], which: Sequence[str]) -> dict[str, int]:
    """``{'first': 0, 'middle': L // 2}`` restricted to ``which``; 'middle' only when L >= 2."""
    which = [which] if isinstance(which, str) else list(which)
    if not which or set(which) - set(LAYERS):
        raise ToonlabError(f"which must name layers among {', '.join(LAYERS)}. Received: which={which!r}")
    if not linears:
        raise ToonlabError("The MLP has no hidden layer; there are no neurons to show.")
    positions = {"first": 0, "middle": len(linears) // 2}
    return {name: positions[name] for name in which if name == "first" or len(linears) >= 2}


def _one_image(x: torch.Tensor) -> torch.Tensor:
    x = x[None] if x.ndim == 3 else x
    if x.ndim != 4 or x.shape[0] != 1:
        raise ToonlabError(f"Expected one image shaped (C, H, W) or (1, C, H, W). Received: shape {tuple(x.shape)}")
    return x


def _numpy(a: torch.Tensor | np.ndarray) -> np.ndarray:
    return a.detach().float().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float32)


def _minmax(a: np.ndarray, *, flat: float = 0.5) -> np.ndarray:
    """Each item along axis 0 stretched to 0..1 over all its other axes; a constant item becomes ``flat``."""
    axes = tuple(range(1, a.ndim))
    lo, hi = a.min(axes, keepdims=True), a.max(axes, keepdims=True)
    span = hi - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), flat).astype(np.float32)


def _to_uint8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(a) * 255, 0, 255).round().astype(np.uint8)


def _save(path: Path, grid: np.ndarray, title: str, label: str) -> Path:
    return _save_canvas(path, compose([grid], [label], title))


def _save_image(path: Path, pixels: np.ndarray) -> Path:
    scale = max(1, round(PANE / max(pixels.shape[:2])))
    return _save_canvas(path, Image.fromarray(pixels.repeat(scale, 0).repeat(scale, 1), "RGB"))


def _save_canvas(path: Path, canvas: Image.Image) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, "PNG", compress_level=1)
    return path

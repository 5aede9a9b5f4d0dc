"""``toonlab explain``: attribution panels for a trained run, and scores against drawn regions.

Images are preprocessed exactly as in training (decoded at the checkpoint's size, background and
colour mode, then normalised), so the maps explain what the network actually saw. Panels go to
``RUN/explain/<image stem>/<task>.png``; scores to ``RUN/explain/scores.csv``.

Example:
    >>> explain_run("runs/demo", ["face1.png"], tasks="hair_color", methods=("saliency", "gradcam"))  # doctest: +SKIP
    [PosixPath('runs/demo/explain/face1/hair_color.png')]
    >>> print(format_scores(score_run("runs/demo", n=200)))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from toonlab.console import ensure_console
from toonlab.data.masks import mask_names, read_mask, resize_mask
from toonlab.data.samples import TaskSpec
from toonlab.data.sources.base import find_images
from toonlab.errors import ToonlabError
from toonlab.explain.attribution import BASELINES, DEFAULT_METHODS, METHODS, attribute, find_layer
from toonlab.explain.panels import panel, prediction_title
from toonlab.explain.scores import score_image, score_table, write_scores_csv
from toonlab.inference.images import decode_images
from toonlab.inference.networks import RunNetwork, all_tasks, load_networks
from toonlab.inference.run_data import load_run_data, model_labels
from toonlab.progress import Progress
from toonlab.runtime import Runtime

log = logging.getLogger(__name__)

EXPLAIN_DIR = "explain"
SCORES_FILE = "scores.csv"
DEFAULT_IMAGES = 8  # test images explained when none are given
SCORE_METHODS = ("saliency", "gradcam")  # one backward pass each: 200 images x 18 tasks in ~2 min on 2 cores


def explain_run(
    run: str | Path, images: Sequence[str | Path] | None = None, *, tasks: str | Sequence[str] = "all",
    methods: Sequence[str] = DEFAULT_METHODS, out: str | Path | None = None, steps: int = 32,
    baseline: str = "background", samples: int = 16, stdev: float = 0.1, layer: str | None = None,
    batch_size: int = 32, device: str = "cpu", progress: bool = True,
) -> list[Path]:
    """Write one panel per image and task: the image, the prediction and each method's map.

    Args:
        run: a training run folder (shared or separate mode).
        images: image files or folders of images; None = the first 8 images of the run's test split.
        tasks: 'all', one task name or a list of them.
        methods: attribution methods (saliency, ig, gradcam, smoothgrad).
        out: panel folder; None = ``RUN/explain``.
        steps, baseline: integrated gradients' steps and reference image (black, white, background, blur).
        samples, stdev: SmoothGrad's noisy copies and noise level (fraction of the pixel range).
        layer: Grad-CAM layer name; None = the backbone's last conv.
        batch_size: images attributed per call.
        device: 'cpu' or 'cuda'.
        progress: show the panels done and the time left (see :mod:`toonlab.progress`).

    Returns:
        The PNG paths written, image by image within each task.
    """
    ensure_console()
    run = Path(run)
    options = method_options(methods, steps=steps, baseline=baseline, samples=samples, stdev=stdev, layer=layer)
    data = _run_data(run, required=images is None)
    paths = find_images(images) if images else _test_images(data, DEFAULT_IMAGES)
    found = _data_rows(data, paths)
    folders = _unique_stems(paths)
    out = Path(out) if out else run / EXPLAIN_DIR
    written = []
    nets = networks(run, tasks, device, layer=layer if "gradcam" in options else None)
    bar = Progress("explain", total=len(paths) * sum(len(net.tasks) for net in nets), enabled=progress, unit="panel")
    for net in nets:
        pixels = decode_images(paths, net.prep)[0]
        truth = {name: _true_labels(data, found, spec, len(paths)) for name, spec in net.tasks.items()}
        for lo in range(0, len(paths), batch_size):
            x = net.prep.to_tensor(pixels[lo : lo + batch_size], net.runtime)
            outputs = _predict(net.model, x, net.tasks)
            for name, spec in net.tasks.items():
                maps = {m: attribute(net.model, x, name, spec, None, m, **_with_prep(opts, net))
                        for m, opts in options.items()}
                for i in range(len(x)):
                    title = prediction_title(name, spec, outputs[name][i], truth[name][lo + i])
                    written.append(panel(out / folders[lo + i] / f"{name}.png", pixels[lo + i],
                                         {m: a[i] for m, a in maps.items()}, title=title))
                bar.update(len(x))
    bar.close()
    return written


def score_run(
    run: str | Path, *, n: int = 200, methods: Sequence[str] = SCORE_METHODS, tasks: str | Sequence[str] = "all",
    seed: int | None = 0, steps: int = 32, baseline: str = "background", samples: int = 16, stdev: float = 0.1,
    layer: str | None = None, batch_size: int = 32, device: str = "cpu", progress: bool = True,
) -> list[dict[str, Any]]:
    """Score each method's maps against the drawn region of each task on the run's test images.

    Targets are the predicted classes. Masks come from ``toonlab.data.masks`` (drawn by
    ``toonlab synth --masks``) and are resized to the network's input size. Writes
    ``RUN/explain/scores.csv``.

    Args:
        n: test images scored (all when the split is smaller).
        seed: draw the ``n`` images at random with this seed; None = the first ``n``.
        Others: as :func:`explain_run`.

    Returns:
        The summary rows of :func:`toonlab.explain.scores.score_table` (task, method, mass, chance,
        ratio, hit_rate, n).
    """
    ensure_console()
    run = Path(run)
    options = method_options(methods, steps=steps, baseline=baseline, samples=samples, stdev=stdev, layer=layer)
    data = _run_data(run, required=True)
    names = _mask_names(data.root)
    rows = choose_rows(data.splits["test"], n, seed)
    paths = [Path(data.root) / data.rel_paths[r] for r in rows]
    records: list[dict[str, Any]] = []
    nets = networks(run, tasks, device, layer=layer if "gradcam" in options else None)
    total = len(paths) * sum(len([t for t in net.tasks if t in names]) for net in nets)
    bar = Progress("explain --score", total=total, enabled=progress, unit="img")
    for net in nets:
        scored = [t for t in net.tasks if t in names]
        if not scored:
            continue
        size = net.prep.image_size
        pixels = data.images[rows] if data.images.shape[1] == size else decode_images(paths, net.prep)[0]
        for lo in range(0, len(paths), batch_size):
            x = net.prep.to_tensor(pixels[lo : lo + batch_size], net.runtime)
            masks = [_masks(p, names, scored, size) for p in paths[lo : lo + batch_size]]
            for name in scored:
                for m, opts in options.items():
                    maps = attribute(net.model, x, name, net.tasks[name], None, m, **_with_prep(opts, net))
                    records += [{"task": name, "method": m, **s} for a, k in zip(maps, masks)
                                if (s := score_image(a, k[name])) is not None]
                bar.update(len(x))
    bar.close()
    if not records:
        raise ToonlabError(f"No task of {str(run)!r} has a drawn region (mask names: {', '.join(names)}); "
                           "nothing could be scored.")
    table = score_table(records)
    write_scores_csv(run / EXPLAIN_DIR / SCORES_FILE, table)
    return table


def method_options(methods: Sequence[str] | str, *, steps: int, baseline: str, samples: int, stdev: float,
                   layer: str | None) -> dict[str, dict[str, Any]]:
    """``{method: its keyword options}`` in the order asked; 'all' = every method. Checks names and values."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    methods = list(DEFAULT_METHODS) if "all" in methods else methods
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ToonlabError(f"--method must be one or more of {', '.join(DEFAULT_METHODS)} or 'all'. "
                           f"Received: {unknown or methods}")
    if baseline not in BASELINES:
        raise ToonlabError(f"The IG baseline must be one of {', '.join(BASELINES)}. Received: baseline={baseline!r}")
    for name, value in (("steps", steps), ("samples", samples)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ToonlabError(f"--{name} must be a whole number >= 1. Received: {name}={value!r}")
    if not stdev >= 0:
        raise ToonlabError(f"--stdev (SmoothGrad noise, a fraction of the pixel range) must be >= 0. "
                           f"Received: {stdev!r}")
    per = {"ig": {"steps": steps, "baseline": baseline}, "smoothgrad": {"samples": samples, "stdev": stdev},
           "gradcam": {"layer": layer}, "saliency": {}}
    return {m: per[m] for m in dict.fromkeys(methods)}


def networks(run: Path, tasks: str | Sequence[str], device: str | torch.device, *,
             layer: str | None = None) -> list[RunNetwork]:
    """Each trained network of ``run`` with only the asked ``tasks`` kept (networks without any are left out),
    in fp32 and channels-last (gradients are taken in full precision)."""
    nets = load_networks(run, device=str(device))
    wanted = _wanted_tasks(nets, tasks)
    runtime = Runtime(nets[0].runtime.device, "fp32", channels_last=True)  # the device load_networks resolved
    kept = []
    for net in nets:
        keep = {t: s for t, s in net.tasks.items() if wanted is None or t in wanted}
        if keep:
            if layer is not None:
                find_layer(net.model, layer)  # a missing layer fails before any work
            kept.append(replace(net, model=net.model.to(memory_format=torch.channels_last), tasks=keep, runtime=runtime))
    return kept


def choose_rows(test: np.ndarray, n: int, seed: int | None) -> np.ndarray:
    """``n`` rows of ``test``: a seeded random draw (sorted), the first ``n`` with seed None, or all."""
    if not isinstance(n, int) or n < 1:
        raise ToonlabError(f"--n must be a whole number of images >= 1. Received: n={n!r}")
    test = np.asarray(test, dtype=np.int64)
    if len(test) == 0:
        raise ToonlabError("The run's test split is empty; there are no images to score.")
    if n >= len(test):
        return test
    if seed is None:
        return test[:n]
    return np.sort(np.random.default_rng(seed).choice(test, n, replace=False))


def _with_prep(options: dict[str, Any], net: RunNetwork) -> dict[str, Any]:
    """Add the network's preprocessing to the options that need it (IG baselines, SmoothGrad noise)."""
    if "baseline" in options:
        return {**options, "background": net.prep.input_rgb, "mean": net.prep.mean, "std": net.prep.std}
    if "samples" in options:
        return {**options, "std": net.prep.std}
    return options


def _predict(model: torch.nn.Module, x: torch.Tensor, tasks: dict[str, TaskSpec]) -> dict[str, np.ndarray]:
    """Per task: class probabilities (B, K) or predicted values (B,), in fp32."""
    with torch.no_grad():
        out = model(x.float())
    return {t: (out[t].float() if spec.is_regression else out[t].float().softmax(1)).cpu().numpy()
            for t, spec in tasks.items()}


def _wanted_tasks(nets: Sequence[RunNetwork], tasks: str | Sequence[str]) -> set[str] | None:
    if tasks == "all" or tasks == ["all"] or not tasks:
        return None
    wanted = {tasks} if isinstance(tasks, str) else set(tasks)
    known = set(all_tasks(nets))
    if wanted - known:
        raise ToonlabError(f"--task must be 'all' or tasks the run predicts: {', '.join(sorted(known))}. "
                           f"Received: {', '.join(sorted(wanted - known))}")
    return wanted


def _run_data(run: Path, *, required: bool):
    """The run's prepared data (labels, splits, cache) or, when not required and unavailable, None."""
    try:
        return load_run_data(run, detect_duplicates=False)[1]
    except ToonlabError as e:
        if required:
            raise
        log.warning("True labels are not shown: the run's data could not be read (%s).", e)
        return None


def _data_rows(data, paths: Sequence[Path]) -> list[tuple[int, int]]:
    """``(position in paths, row in the run's data)`` for each image that is in the run's data."""
    if data is None:
        return []
    index = {(Path(data.root) / rel).resolve(): row for row, rel in enumerate(data.rel_paths)}
    return [(i, index[p.resolve()]) for i, p in enumerate(paths) if p.resolve() in index]


def _true_labels(data, found: list[tuple[int, int]], spec: TaskSpec, n: int) -> np.ndarray:
    """The true label (model class index or value) of each image found in the run's data; NaN elsewhere."""
    labels = np.full(n, np.nan)
    if found and spec.name in data.tasks:
        y, _ = model_labels(data, spec, np.array([row for _, row in found], np.int64))
        labels[[i for i, _ in found]] = y
    return labels


def _test_images(data, n: int) -> list[Path]:
    rows = data.splits["test"][:n]
    if len(rows) == 0:
        raise ToonlabError("The run's test split is empty; pass the images to explain.")
    return [Path(data.root) / data.rel_paths[r] for r in rows]


def _unique_stems(paths: Sequence[Path]) -> list[str]:
    """One output folder name per image: its stem, with -2, -3... when stems repeat."""
    seen: dict[str, int] = {}
    names = []
    for p in paths:
        seen[p.stem] = seen.get(p.stem, 0) + 1
        names.append(p.stem if seen[p.stem] == 1 else f"{p.stem}-{seen[p.stem]}")
    return names


def _mask_names(root: Path) -> list[str]:
    return list(mask_names(root))  # DataError saying how to draw a set with masks when there are none


def _masks(path: Path, names: list[str], tasks: list[str], size: int) -> dict[str, np.ndarray]:
    """The regions of ``tasks`` in one image, resized to the network's input size (``names``: every bit's
    attribute, as read_mask needs them all). Raises DataError when the mask file is missing."""
    found = read_mask(path, names)
    return {t: np.asarray(resize_mask(found[t], size), dtype=bool) for t in tasks}

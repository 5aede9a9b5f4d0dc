"""``toonlab predict``: each task's label and probability (or value) for new image files.

Images are decoded and normalised with the run's own preprocessing (see
:class:`~toonlab.inference.networks.Preprocessing`), in batches, and run through every network of the run
(one in shared mode, one per task in separate mode). A k-fold or repeats parent folder predicts with
every member and averages: class probabilities for classification, values for regression.
Files that cannot be decoded are collected with the reason, not raised.

Example:
    >>> preds = predict_images("runs/demo", ["new_faces/"])  # doctest: +SKIP
    >>> preds.labels("hair")[:2], preds.failures  # doctest: +SKIP
    (['blond', 'brown'], [Skipped(path='new_faces/broken.png', reason='not an image PIL can read')])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toonlab.console import ensure_console
from toonlab.data.cache import failure_reason
from toonlab.data.samples import Skipped, TaskSpec
from toonlab.data.sources.base import find_images
from toonlab.errors import ToonlabError
from toonlab.inference.networks import Preprocessing, shared_preprocessing
from toonlab.inference.predict import average_outputs, common_tasks, load_member_networks
from toonlab.progress import Progress


@dataclass
class Predictions:
    """What :func:`predict_images` returns.

    Attributes:
        files: the images predicted, in order (as found: given paths, or paths under a given folder).
        tasks: task name → spec (classes in output order).
        outputs: task → class probabilities ``(N, K)`` (classification) or values ``(N,)`` (regression).
        failures: files that could not be decoded, with the reason.
        members: runs whose outputs were averaged (1, or the members of a k-fold/repeats parent).
    """

    files: list[str]
    tasks: dict[str, TaskSpec]
    outputs: dict[str, np.ndarray]
    failures: list[Skipped] = field(default_factory=list)
    members: int = 1

    def labels(self, task: str) -> list[str]:
        """The predicted class name per image (classification tasks)."""
        return [self.tasks[task].classes[k] for k in self.outputs[task].argmax(1)]

    def top(self, task: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most probable classes per image, best first: ``(indices (N, k), probabilities (N, k))``."""
        probs = self.outputs[task]
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(probs, order, axis=1)

    def records(self) -> list[dict[str, dict[str, Any]]]:
        """One dict per image: task → ``{"label", "probability", "probabilities": {class: p}}`` (classification)
        or ``{"value"}`` (regression)."""
        return [{name: _record(spec, self.outputs[name][i]) for name, spec in self.tasks.items()}
                for i in range(len(self.files))]


def _record(spec: TaskSpec, out: np.ndarray) -> dict[str, Any]:
    if spec.is_regression:
        return {"value": float(out)}
    best = int(np.argmax(out))
    return {"label": spec.classes[best], "probability": float(out[best]),
            "probabilities": {c: float(p) for c, p in zip(spec.classes, out)}}


def predict_images(
    run: str | Path, images: Sequence[str | Path], *, batch_size: int = 64, device: str = "auto",
    progress: bool = True,
) -> Predictions:
    """Predict every task of ``run`` for ``images``.

    Args:
        run: a training run folder (shared or separate mode), or a k-fold/repeats parent (members averaged).
        images: image files and/or folders (searched recursively for image files).
        batch_size: images decoded and predicted at a time.
        device: 'auto', 'cpu' or 'cuda'.
        progress: show the images done and the time left (see :mod:`toonlab.progress`).

    Returns:
        :class:`Predictions` for the images that could be decoded; the others are in ``failures``.

    Raises:
        ToonlabError: a missing path, no images found, or no image could be decoded.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ToonlabError(f"--batch-size must be a whole number of images >= 1. Received: batch_size={batch_size!r}")
    ensure_console()
    paths = find_images(images)
    sets = load_member_networks(run, device=device)
    prep = shared_preprocessing([net for nets in sets for net in nets])
    tasks = common_tasks(sets)
    files, failures, chunks = [], [], {name: [] for name in tasks}
    with Progress("predict", total=len(paths), enabled=progress) as bar:
        for lo in range(0, len(paths), batch_size):
            pixels, ok, bad = _decode_batch(paths[lo : lo + batch_size], prep)
            files += ok
            failures += bad
            if ok:
                for name, out in average_outputs(sets, prep, pixels).items():
                    chunks[name].append(out)
            bar.update(len(ok) + len(bad))
    if not files:
        raise ToonlabError(f"None of the {len(paths)} image(s) could be read, e.g. {failures[0].path!r}: "
                           f"{failures[0].reason}. Pass image files PIL can open.")
    outputs = {name: np.concatenate(parts) for name, parts in chunks.items()}
    return Predictions(files, tasks, outputs, failures, members=len(sets))


def _decode_batch(paths: Sequence[Path], prep: Preprocessing) -> tuple[np.ndarray, list[str], list[Skipped]]:
    """``(pixels of the readable images, their file names, the unreadable files and why)``."""
    pixels, ok, bad = [], [], []
    for path in paths:
        try:
            pixels.append(prep.decode(path))
            ok.append(str(path))
        except Exception as e:  # noqa: BLE001 - PIL raises many types; each becomes a reported file
            bad.append(Skipped(str(path), failure_reason(path, e)))
    return (np.stack(pixels) if pixels else np.empty((0,))), ok, bad

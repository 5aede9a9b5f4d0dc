"""Predictions of a run's networks: ``predict`` over batches, and the averaged outputs of a run's member sets.

``predict`` runs one network over ``(x, y)`` batches (evaluation, the label audit); ``predict_pixels``
runs every network of a run, or of each member of a k-fold/repeats parent, over decoded uint8 pixels,
normalised by :meth:`Preprocessing.to_tensor <toonlab.inference.networks.Preprocessing.to_tensor>`, and
averages the members (``toonlab predict``, ``Run.predict``).

Example:
    >>> sets = load_member_networks("runs/demo")  # doctest: +SKIP
    >>> prep = shared_preprocessing([net for nets in sets for net in nets])  # doctest: +SKIP
    >>> predict_pixels(sets, prep, prep.decode("face.png")[None])["hair"].shape  # doctest: +SKIP
    (1, 10)
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from torch import nn

from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.inference.networks import Preprocessing, RunNetwork, all_tasks, load_networks
from toonlab.runs import member_runs
from toonlab.runtime import Runtime


@torch.no_grad()
def predict(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], *, runtime: Runtime
) -> dict[str, np.ndarray]:
    """Per task, in batch order: class probabilities ``(N, K)`` (classification) or values ``(N,)``
    (regression heads, which output one number per image), as float32."""
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {}
    for x, _ in batches:
        with runtime.autocast():
            outputs = model(x)
        for name, out in outputs.items():
            out = out.float()
            chunks.setdefault(name, []).append((torch.softmax(out, 1) if out.dim() == 2 else out).cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def load_member_networks(run: str | Path, *, device: str = "auto") -> list[list[RunNetwork]]:
    """The networks of ``run``: one set per member of a k-fold/repeats parent, else the run's one set."""
    return [load_networks(member, device=device) for member in member_runs(run) or [Path(run)]]


def predict_pixels(sets: list[list[RunNetwork]], prep: Preprocessing, pixels: np.ndarray, *,
                   batch_size: int = 64) -> dict[str, np.ndarray]:
    """Outputs per task for decoded ``(N, H, W, 3)`` uint8 ``pixels``, averaged over ``sets`` (see
    :func:`load_member_networks`): class probabilities ``(N, K)`` or regression values ``(N,)``."""
    chunks = [average_outputs(sets, prep, pixels[lo : lo + batch_size]) for lo in range(0, len(pixels), batch_size)]
    return {name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]}


def average_outputs(sets: list[list[RunNetwork]], prep: Preprocessing, pixels: np.ndarray) -> dict[str, np.ndarray]:
    """Per task the mean over ``sets`` of probabilities (classification) or values (regression)."""
    total: dict[str, np.ndarray] = {}
    for nets in sets:
        for net in nets:
            x = prep.to_tensor(pixels, net.runtime)
            for name, out in predict(net.model, [(x, None)], runtime=net.runtime).items():
                total[name] = total[name] + out if name in total else out
    return {name: out / len(sets) for name, out in total.items()} if len(sets) > 1 else total


def common_tasks(sets: list[list[RunNetwork]]) -> dict[str, TaskSpec]:
    """The tasks every member predicts, with identical classes (else averaging would mix classes up)."""
    tasks = all_tasks(sets[0])
    for nets in sets[1:]:
        other = all_tasks(nets)
        if {n: s.classes for n, s in other.items()} != {n: s.classes for n, s in tasks.items()}:
            raise ToonlabError(f"The members of this k-fold/repeats folder predict different tasks or classes "
                               f"({nets[0].path} differs from {sets[0][0].path}), so they cannot be averaged. "
                               "Predict with one member folder instead.")
    return tasks

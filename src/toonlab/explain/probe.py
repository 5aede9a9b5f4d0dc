"""The batch a diagnosis runs on, and the fresh model it probes: from a YAML config or a run folder.

With data, a seeded batch of training images (normalised as in training); without, random images
and one dummy 2-class task (noted, so the table's head rows are read as indicative only).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from toonlab.config import ExperimentConfig, ModelConfig, resolve_config
from toonlab.data.batches import Batches, pixels_to_tensor
from toonlab.data.dataset import prepare_data, regression_scales
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import create_model
from toonlab.runs import load_run_config


@dataclass
class Probe:
    """The batch a diagnosis runs on: normalised images (B, 3, S, S), targets (B, T) and tasks."""

    x: torch.Tensor
    y: torch.Tensor
    tasks: dict[str, TaskSpec]
    notes: list[str] = field(default_factory=list)


def load_experiment(source: str | Path) -> tuple[ExperimentConfig, list[str]]:
    """The config of a YAML file or a run folder, and notes for the user."""
    path = Path(source)
    if path.is_dir():
        notes = ["run folder: a fresh model from its config at initialisation (trained weights not loaded)"]
        return load_run_config(path), notes
    if path.is_file():
        return resolve_config(yaml_path=path), []
    raise ToonlabError(f"diagnose needs a YAML config file or a run folder. Received: {str(source)!r}")


def make_probe(cfg: ExperimentConfig, data: str | Path | None = None, *, batch_size: int = 32, seed: int = 0) -> Probe:
    """A seeded batch of training images from ``data`` (or ``cfg.data.path``), or random ones (noted) without data."""
    if data is not None and not Path(data).exists():
        raise ToonlabError(f"The data folder does not exist. Received: {str(data)!r}")
    path = str(data) if data is not None else cfg.data.path
    if path and Path(path).exists():
        return _data_probe(replace(cfg.data, path=path), batch_size, seed)
    why = f"data.path {path!r} not found" if path else "no data given"
    note = f"{why}: random images and one dummy 2-class task; head rows are indicative only"
    return _random_probe(cfg.data.image_size, batch_size, seed, note)


def build_model(cfg: ModelConfig, probe: Probe, *, seed: int) -> nn.Module:
    """The model for ``probe``'s tasks and image size, initialised with ``seed`` (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return create_model(cfg, probe.tasks, image_size=int(probe.x.shape[-1]))


def _data_probe(data_cfg, batch_size: int, seed: int) -> Probe:
    data = prepare_data(data_cfg, seed=seed)
    train = data.splits["train"] if len(data.splits.get("train", [])) else np.arange(len(data.labels))
    rows = np.sort(np.random.default_rng(seed).permutation(train)[:batch_size])
    x, y = next(iter(Batches(data.images, data.labels, rows, batch_size=len(rows), channels_last=False)))
    return Probe(x, y, regression_scales(data.tasks, data.labels[train]),
                 [f"{len(rows)} training images of {data_cfg.path}"])


def _random_probe(size: int, batch_size: int, seed: int, note: str) -> Probe:
    gen = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch_size, size, size, 3), generator=gen, dtype=torch.uint8).numpy()
    x = pixels_to_tensor(images, channels_last=False)
    y = torch.randint(0, 2, (batch_size, 1), generator=gen).float()
    return Probe(x, y, {"dummy": TaskSpec("dummy", classes=("0", "1"))}, [note])

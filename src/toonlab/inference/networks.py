"""The trained networks of a run, each with the preprocessing its checkpoint records.

A shared-mode run holds one network for all tasks; a separate-mode run one per task under
``RUN/tasks/<task>/``; a k-fold or repeats parent holds member runs in ``fold-*/`` or ``seed-*/``.
Every network of a run is trained on the same decoded images, so they share one
:class:`Preprocessing`: the checkpoint's ``"preprocessing"`` entry, applied exactly as training did.

Example:
    >>> nets = load_networks("runs/demo")  # doctest: +SKIP
    >>> nets[0].prep.image_size, list(nets[0].tasks)  # doctest: +SKIP
    (64, ['hair', 'eye_color', ...])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from toonlab.config import from_dict
from toonlab.data.batches import pixels_to_tensor
from toonlab.data.cache import decode_image, parse_background
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.inference.checkpoint import load_checkpoint, tasks_from_dict
from toonlab.models import create_model
from toonlab.runs import best_checkpoints, member_runs
from toonlab.runtime import Runtime, resolve_runtime


@dataclass(frozen=True)
class Preprocessing:
    """How an image file becomes a network input, as recorded in the checkpoint.

    Decode: alpha composited onto ``background``, stretched (not cropped) to ``image_size`` square with
    Lanczos, grey in three channels when ``grayscale``. Normalise: ``(pixel - 255 * mean) / (255 * std)``
    per RGB channel, giving a float ``(B, 3, H, W)`` tensor.
    """

    image_size: int
    background: str
    grayscale: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def from_checkpoint(cls, ckpt: dict[str, Any]) -> Preprocessing:
        prep = ckpt["preprocessing"]
        return cls(int(prep["image_size"]), str(prep.get("background", "white")), bool(prep.get("grayscale", False)),
                   tuple(float(v) for v in prep.get("mean", (0.5,) * 3)),
                   tuple(float(v) for v in prep.get("std", (0.25,) * 3)))

    @property
    def rgb(self) -> tuple[int, int, int]:
        return parse_background(self.background)

    @property
    def input_rgb(self) -> tuple[int, int, int]:
        """The background as the network sees it: grey in all three channels when ``grayscale`` (ITU-R 601
        luma, as PIL's and training's grey conversion); e.g. the integrated-gradients 'background' baseline."""
        r, g, b = self.rgb
        return (int(round((r * 299 + g * 587 + b * 114) / 1000)),) * 3 if self.grayscale else (r, g, b)

    def decode(self, path: str | Path) -> np.ndarray:
        """One image file as ``(size, size, 3)`` uint8, the way the training cache decoded it (PIL errors pass on)."""
        return decode_image(path, self.image_size, self.rgb, self.grayscale)

    def to_tensor(self, pixels: np.ndarray, runtime: Runtime) -> torch.Tensor:
        """``(B, H, W, 3)`` uint8 → normalised float ``(B, 3, H, W)``, with the same operations as training's batches."""
        return pixels_to_tensor(pixels, runtime.device, self.mean, self.std, channels_last=runtime.channels_last)

    def as_dict(self) -> dict[str, Any]:
        return {"image_size": self.image_size, "background": self.background, "background_rgb": list(self.rgb),
                "grayscale": self.grayscale, "mean": list(self.mean), "std": list(self.std)}


@dataclass
class RunNetwork:
    """One trained network (in eval mode), its tasks, preprocessing and the runtime it predicts with."""

    model: torch.nn.Module
    tasks: dict[str, TaskSpec]
    prep: Preprocessing
    runtime: Runtime
    path: Path


def model_from_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> tuple[torch.nn.Module, dict[str, TaskSpec], dict]:
    """Rebuild the network saved in a checkpoint; returns (model in eval mode, tasks, checkpoint dict)."""
    ckpt = load_checkpoint(path)
    cfg = from_dict(ckpt["config"], where=str(path))
    tasks = tasks_from_dict(ckpt["tasks"])
    model = create_model(cfg.model, tasks, image_size=int(ckpt["preprocessing"]["image_size"]))
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), tasks, ckpt


def load_networks(run: str | Path, *, device: str = "auto") -> list[RunNetwork]:
    """Every network of one run (shared or separate mode), on ``device``.

    Precision and memory format follow the run's ``train.precision`` / ``train.channels_last``, as
    ``toonlab eval`` does, so predictions match the run's own ``predictions.csv``.

    Raises:
        ToonlabError: ``run`` holds no trained network, or is a k-fold/repeats parent (use :func:`member_runs`).
    """
    run = Path(run)
    refuse_parent(run, "load one network set")
    nets = []
    for path in best_checkpoints(run):
        model, tasks, ckpt = model_from_checkpoint(path, "cpu")
        train = ckpt["config"].get("train", {})
        runtime = resolve_runtime(device=device, precision=train.get("precision", "auto"),
                                  channels_last=train.get("channels_last", "auto"))
        nets.append(RunNetwork(model.to(runtime.device), tasks, Preprocessing.from_checkpoint(ckpt), runtime, path))
    shared_preprocessing(nets)
    return nets


def shared_preprocessing(nets: Sequence[RunNetwork]) -> Preprocessing:
    """The one preprocessing all ``nets`` use; ToonlabError if they differ (then no single input serves them all)."""
    preps = {n.prep for n in nets}
    if len(preps) != 1:
        found = "; ".join(f"{n.path}: {json.dumps(n.prep.as_dict())}" for n in nets)
        raise ToonlabError(f"The networks of this run were trained on differently preprocessed images, so one "
                           f"input cannot serve them all. Use one run folder per preprocessing. Received: {found}")
    return preps.pop()


def all_tasks(nets: Sequence[RunNetwork]) -> dict[str, TaskSpec]:
    """Every task of ``nets`` in checkpoint order (separate mode: one task per network)."""
    return {name: spec for net in nets for name, spec in net.tasks.items()}


def refuse_parent(run: Path, what: str) -> None:
    """ToonlabError naming a member when ``run`` is a k-fold/repeats parent (``what``: the refused action)."""
    members = member_runs(run)
    if members:
        raise ToonlabError(f"{str(run)!r} is a k-fold/repeats folder of {len(members)} runs "
                           f"({', '.join(m.name for m in members)}), not one trained model; cannot {what}. "
                           f"Pass one member, e.g. {str(members[0])!r}.")

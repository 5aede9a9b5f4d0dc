"""Checkpoints: one documented dict, written atomically, read with ``weights_only=True``.

Keys:
    format: int, this layout's version (1).
    toonlab_version: the package version that wrote it.
    model: the model's ``state_dict``.
    optimizer, scheduler: their ``state_dict`` (scheduler may be None).
    epoch: the last completed epoch (1-based; 0 = none).
    step: steps of epoch ``epoch + 1`` already done (0 for the end-of-epoch checkpoints; a
        ``train.checkpoint_every`` one resumes by skipping that many batches of the epoch's order).
    meter: that partial epoch's running loss/accuracy sums (None when ``step`` is 0).
    best: the best value so far of the monitored metric (train.monitor).
    callbacks: ``{callback name: state}`` (early stopping counters, ...).
    rng: ``{"torch": ByteTensor, "cuda": [ByteTensor, ...] (when CUDA is in use)}`` so dropout masks
        continue as in an uninterrupted run.
    rollback: ``{"count": int, "lr": [float per param group]}``: divergence rollbacks so far and the
        learning rates they left (see toonlab.train.divergence).
    stopped: True when early stopping ended the run.
    config: the resolved experiment config (nested dicts).
    tasks: ``{task: {"kind": str, "classes": [str, ...], "factors": [str, ...], "center": float,
        "scale": float}}`` in head order (factors: combined tasks; center/scale: regression).
    preprocessing: ``{"image_size", "background", "mean", "std"}``.
    provenance: ``{"versions": {library: version}, "data": fingerprint}`` at training (see
        toonlab.provenance and toonlab.data.fingerprint); evaluation warns when they changed since.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError

FORMAT = 1


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` via a temp file and an atomic rename (a kill never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, **payload}, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint safely (tensors and plain containers only; no arbitrary pickles)."""
    path = Path(path)
    if not path.is_file():
        raise ToonlabError(f"No checkpoint at {str(path)!r}. Train first (`toonlab train DATA --out RUN`).")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is the same user problem
        raise ToonlabError(f"Checkpoint {str(path)!r} could not be loaded safely: {e}. "
                           "It may be corrupt or not written by toonlab.") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ToonlabError(f"{str(path)!r} is not a toonlab checkpoint (format {FORMAT}).")
    return ckpt


def tasks_to_dict(tasks: dict[str, TaskSpec]) -> dict[str, dict[str, Any]]:
    """Task specs as plain data for a checkpoint."""
    return {name: {"kind": t.kind, "classes": list(t.classes), "factors": list(t.factors), "center": t.center,
                   "scale": t.scale} for name, t in tasks.items()}


def tasks_from_dict(raw: dict[str, dict[str, Any]]) -> dict[str, TaskSpec]:
    """Inverse of :func:`tasks_to_dict`."""
    return {name: TaskSpec(name, d["kind"], tuple(d["classes"]), tuple(d.get("factors", ())),
                           float(d.get("center", 0.0)), float(d.get("scale", 1.0))) for name, d in raw.items()}

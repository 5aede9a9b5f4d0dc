"""``toonlab eval RUN --robustness``: the robustness table of a trained run (seed 002, Table 7).

Every network of the run (one in shared mode, one per task in separate mode) is evaluated together
on the validation images, clean and under each transform and severity of
:mod:`toonlab.evaluate.robustness`; the result goes to ``RUN/robustness.json``.

Example:
    >>> result = robustness_run("runs/first")  # doctest: +SKIP
    >>> print(format_robustness(result))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from toonlab.console import ensure_console
from toonlab.data.encode import natural_key
from toonlab.errors import ToonlabError
from toonlab.evaluate.robustness import robustness, write_robustness
from toonlab.evaluate.run import is_multi_run
from toonlab.inference.networks import model_from_checkpoint
from toonlab.inference.run_data import load_run_data, model_labels
from toonlab.runs import best_checkpoints

ROBUSTNESS_FILE = "robustness.json"


class _AllHeads(nn.Module):
    """Several networks as one: the union of their ``{task: output}`` dicts."""

    def __init__(self, models: list[nn.Module]) -> None:
        super().__init__()
        self.models = nn.ModuleList(models)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for model in self.models:
            out.update(model(x))
        return out


def robustness_run(
    run: str | Path, data: str | Path | None = None, *, split: str = "val", seed: int = 0,
    transforms: Any = None, data_options: dict[str, Any] | None = None, progress: bool = True,
) -> dict[str, Any]:
    """Clean vs transformed metrics of every task of ``run`` on ``split``; writes ``RUN/robustness.json``.

    ``progress`` shows the images done (see :mod:`toonlab.progress`).
    """
    ensure_console()
    run = Path(run)
    if is_multi_run(run):  # before load_run_data, which would write a stray RUN/splits.csv
        members = sorted((p.name for p in run.iterdir() if (p / "config.yaml").exists()), key=natural_key)
        raise ToonlabError(f"{str(run)!r} holds several runs ({', '.join(members)}); --robustness evaluates one "
                           f"run at a time. Pass a member folder, e.g. `toonlab eval {run / members[0]} --robustness`.")
    _, prepared, runtime, split = load_run_data(run, data, split=split, data_options=data_options,
                                             detect_duplicates=False, progress=progress)
    rows = prepared.splits[split]
    if len(rows) == 0:
        raise ToonlabError(f"The run's {split} split is empty, so there is nothing to evaluate robustness on. "
                           "Train with data.val_fraction > 0, or pass another DATA folder.")
    models, tasks = [], {}
    for path in best_checkpoints(run):
        model, own, _ = model_from_checkpoint(path, runtime.device)
        models.append(model)
        tasks.update(own)
    every = np.arange(len(prepared.rel_paths))
    labels = np.stack([model_labels(prepared, spec, every)[0] for spec in tasks.values()], axis=1)
    result = robustness(_AllHeads(models).eval(), prepared.images, labels, rows, tasks, runtime,
                        transforms=transforms, seed=seed, progress=progress)
    result["split"] = split
    write_robustness(run / ROBUSTNESS_FILE, result)
    return result

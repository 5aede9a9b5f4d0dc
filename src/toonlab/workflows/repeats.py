"""``toonlab eval RUN --repeats N`` and ``Run.repeat(n)``: train a finished run's own config N times (seeds
seed .. seed+N-1, the same split) into ``RUN/repeats/`` and report mean ± std, so one lucky seed is not
mistaken for a result. A second call continues where an earlier one stopped.

Example:
    >>> summary = repeat_run("runs/faces", 3)  # doctest: +SKIP
    >>> summary["tasks"]["hair"]["accuracy"]["std"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toonlab.runs import CONFIG_FILE, load_run_config
from toonlab.workflows.train import train

REPEATS_DIR = "repeats"


def repeat_run(run: str | Path, repeats: int, *, progress: bool = True, command: str = "") -> dict[str, Any]:
    """Train ``run``'s config ``repeats`` times into ``RUN/repeats/``; return the aggregated metrics.

    Args:
        run: a finished run folder (its config.yaml and splits are reused).
        repeats: how many seeds to train (2 or more).
        progress: progress bars or lines while training.
        command: the command line recorded in the repeats' metrics.json.
    """
    cfg = load_run_config(run)
    cfg.data.folds, cfg.train.repeats, cfg.train.progress = 0, repeats, progress
    out = Path(run) / REPEATS_DIR
    return train(cfg, out, resume=(out / CONFIG_FILE).exists(), command=command)

"""``toonlab train``: prepare data, train one shared multi-head network (or one per task), evaluate on test.

Example:
    >>> from toonlab.config import resolve_config
    >>> cfg = resolve_config(overrides=["data.path=toons", "train.epochs=2"])  # doctest: +SKIP
    >>> metrics = train(cfg, "runs/first")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from toonlab.config import ExperimentConfig, validate
from toonlab.console import ensure_console
from toonlab.data.dataset import prepare_data
from toonlab.errors import ToonlabError
from toonlab.progress import Progress
from toonlab.runs import default_run_dir
from toonlab.runtime import resolve_runtime, set_threads
from toonlab.train import distributed
from toonlab.train.callbacks import Callback
from toonlab.train.folder import unfinished_removed
from toonlab.workflows.many import train_many
from toonlab.workflows.parallel import train_parallel
from toonlab.workflows.pipeline import check_run_folder, train_prepared

__all__ = ["train"]


def train(cfg: ExperimentConfig, out: str | Path | None = None, *, resume: bool = False, overwrite: bool = False,
          command: str = "", callbacks: list[Callback] | None = None) -> dict[str, Any]:
    """Train on ``cfg.data.path`` into the run folder ``out`` and return the test metrics.

    A run that fails before any network finishes an epoch removes what it wrote, so the same call
    can simply be made again (with the cause fixed).

    Args:
        cfg: the resolved experiment config.
        out: the run folder (created; must not hold another run unless ``resume`` or ``overwrite``);
            default ``runs/<data folder name>-<YYYYmmdd-HHMMSS>`` (:func:`toonlab.runs.default_run_dir`).
        resume: continue an interrupted run from each network's ``last.pt``.
        overwrite: delete the run already in ``out`` first (refused for a folder that is not a toonlab run).
        command: the command line that started the run, recorded in metrics.json.
        callbacks: extra callbacks for every network, after the loggers (e.g. a sweep's pruner).

    One line per epoch goes to the ``toonlab`` logger at INFO (shown on stderr when the program has
    not configured logging, see :mod:`toonlab.console`); ``cfg.train.progress`` adds progress bars on
    a terminal or in a notebook, a few plain lines otherwise (:mod:`toonlab.progress`).

    Example:
        >>> metrics = train(cfg)  # into runs/<data folder name>-<date>-<time>  # doctest: +SKIP
    """
    ensure_console()
    if out is None:
        if resume:
            raise ToonlabError("resume=True (--resume) continues an earlier run: name its folder as out (--out RUN).")
        out = default_run_dir(cfg.data.path)
    if distributed.requested():  # under torchrun / --nproc N: one model trained by every process
        return train_parallel(cfg, out, resume=resume, overwrite=overwrite, command=command, callbacks=callbacks)
    start = time.perf_counter()
    validate(cfg)  # again, for a config built in Python code rather than resolved
    out = check_run_folder(cfg, Path(out), resume, overwrite=overwrite)
    with unfinished_removed(out, resume=resume):
        set_threads(cfg.train.threads)
        runtime = resolve_runtime(device=cfg.train.device, precision=cfg.train.precision,
                                  channels_last=cfg.train.channels_last)
        if cfg.data.folds or cfg.train.repeats > 1:
            return train_many(cfg, out, runtime, resume=resume, command=command)
        data = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=out, reuse_splits=resume, for_training=True,
                            progress=Progress("cache", enabled=cfg.train.progress))
        return train_prepared(cfg, data, out, runtime, resume=resume, command=command, start=start,
                              callbacks=callbacks)

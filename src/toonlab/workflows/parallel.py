"""One model trained by several processes (torchrun, ``--nproc N``): rank 0 checks, caches and writes the
run folder, every rank trains its share of each batch (:mod:`toonlab.train.distributed` has the process
group and the helpers), and every rank returns the test metrics.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch.distributed as dist

from toonlab.config import validate
from toonlab.data.dataset import prepare_data
from toonlab.progress import Progress
from toonlab.runtime import Runtime, resolve_runtime
from toonlab.train.callbacks import Callback
from toonlab.train.distributed import backend_for, is_main, main_first, own_device, session
from toonlab.train.launch import check_parallel
from toonlab.workflows.pipeline import check_run_folder, train_prepared


def train_parallel(cfg: Any, out: str | Path, *, resume: bool = False, overwrite: bool = False, command: str = "",
                   callbacks: list[Callback] | None = None) -> dict[str, Any]:
    """:func:`toonlab.workflows.train.train` on every process of a launch; every rank returns the test metrics."""
    start, out = time.perf_counter(), Path(out)
    with session(backend_for(cfg.train.device), threads=cfg.train.threads):
        if not is_main():
            cfg.train.progress = False
        data, runtime = main_first(lambda: _prepare(cfg, out, resume, overwrite))
        return train_prepared(cfg, data, out, own_device(runtime), resume=resume, command=command, start=start,
                              callbacks=callbacks)


def _prepare(cfg: Any, out: Path, resume: bool, overwrite: bool) -> tuple[Any, Runtime]:
    """Rank 0 checks everything, caches the images and writes splits.csv; the others then reuse both."""
    main = is_main()
    if main:
        validate(cfg)
        check_parallel(cfg, dist.get_world_size())
        check_run_folder(cfg, out, resume, overwrite=overwrite)
        out.mkdir(parents=True, exist_ok=True)
    else:
        cfg.data.path = str(Path(cfg.data.path).resolve())  # as rank 0 made it
    runtime = resolve_runtime(device=cfg.train.device, precision=cfg.train.precision,
                              channels_last=cfg.train.channels_last)
    data = prepare_data(cfg.data, seed=cfg.train.seed, run_dir=out, reuse_splits=resume or not main,
                        detect_duplicates=main, for_training=main,
                        progress=Progress("cache", enabled=cfg.train.progress))
    return data, runtime

"""The search verbs as Python functions: ``sweep`` (a sweep file's study) and ``tune`` (settings within a budget).

Both call what ``toonlab sweep`` and ``toonlab tune`` call; a second call with the same folder resumes.

Example:
    >>> result = toonlab.tune("toons", budget="10m")  # doctest: +SKIP
    >>> toonlab.load(result.run).metrics["mean_accuracy"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Mapping

from toonlab.runs import default_tune_dir
from toonlab.api.overrides import flat_options
from toonlab.api.words import speaks_python

log = logging.getLogger(__name__)


@speaks_python
def sweep(spec: str | Path | Mapping, data: str | Path | None = None, *, out: str | Path | None = None,
          workers: int = 1, storage: str | None = None, name: str | None = None, heartbeat: int = 10,
          threads: int | None = None, train: bool = True, say: Callable[[str], None] = log.info):
    """Run a hyper-parameter sweep (grid, one-way, rounds on growing subsets, random, TPE) on Optuna.

    Args:
        spec: a sweep file (YAML; see configs/sweeps/) or its keys as a dict (``space`` required).
        data: the data folder (default: data.path of the sweep's base config).
        out: the sweep folder; None = ``sweeps/<sweep file name>`` (``sweeps/sweep`` for a dict).
        workers: processes on this machine, each training one trial at a time.
        storage: a database URL shared by several machines (default: SQLite ``OUT/study.db``).
        name: the study name (default: the sweep file's name).
        heartbeat: seconds between a running trial's heartbeats.
        threads: torch threads per worker (default: CPU cores / workers).
        train: False only reports the trials stored so far.
        say: where the per-trial lines go (default: the log).

    Returns:
        A :class:`~toonlab.sweep.run.SweepReport` (``rows`` ranked, ``best`` config file, ``plots``).

    Example:
        >>> report = toonlab.sweep("configs/sweeps/lr.yaml", "toons", out="sweeps/lr")  # doctest: +SKIP
        >>> report.rows[0].point  # doctest: +SKIP
    """
    from toonlab.sweep import load_sweep  # lazy: `import toonlab` stays fast
    from toonlab.sweep.run import run_sweep
    from toonlab.sweep.spec import parse_sweep

    loaded = parse_sweep(dict(spec)) if isinstance(spec, Mapping) else load_sweep(spec)
    stem = "sweep" if isinstance(spec, Mapping) else Path(spec).stem
    folder = Path(out) if out is not None else Path("sweeps") / stem
    return run_sweep(loaded, folder, storage=storage, workers=workers, data=None if data is None else str(data),
                     name=name, heartbeat=heartbeat, threads=threads, train=train, say=say)


@speaks_python
def tune(data: str | Path | None, /, *, budget: str | float, out: str | Path | None = None,
         config: str | Path | Mapping | None = None, recipe: str | Path | None = None, storage: str | None = None,
         trials: int | None = None, progress: bool = True, say: Callable[[str], None] = log.info,
         **overrides: Any):
    """Search settings for one data set within ``budget`` (TPE + successive halving), then train the best on
    all images. Keys you set (in ``config`` or as keywords) are not searched.

    Args:
        data: the data folder (or data.path of ``config``).
        budget: wall-clock budget of search and final training together, e.g. ``"30m"``, ``"1h30m"`` or seconds.
        out: the tune folder; None = ``runs/tune-<data folder name>``; calling again resumes (a larger
            budget searches on).
        config: a YAML file or a dict of sections under the search.
        recipe: a tune recipe YAML (default: the shipped toonlab/recipes/tune.yaml).
        storage: a database URL for the study (default: SQLite ``OUT/study.db``).
        trials: at most this many trials.
        progress: progress bar during the final training.
        say: where the per-trial lines go (default: the log).
        **overrides: as for :func:`toonlab.train`, e.g. ``tasks=["hair"]``, ``image_size=48``.

    Returns:
        A :class:`~toonlab.sweep.tune.TuneResult`; ``toonlab.load(result.run)`` is the final run.

    Example:
        >>> result = toonlab.tune("toons", budget="15m", tasks=["hair"])  # doctest: +SKIP
    """
    from toonlab.sweep.tune import tune as run_tune  # lazy: `import toonlab` stays fast

    options = flat_options({**_sections(config), **overrides})
    yaml_path = None if isinstance(config, Mapping) else config
    folder = Path(out) if out is not None else default_tune_dir(data)
    return run_tune(data, folder, budget=budget, config=yaml_path, options=options, recipe=recipe, storage=storage,
                    trials=trials, progress=progress, say=say)


def _sections(config: Any) -> dict[str, Any]:
    """A dict ``config`` as section keywords (``{"train": {...}}``), so tune fixes its keys like a YAML file's."""
    return dict(config) if isinstance(config, Mapping) else {}

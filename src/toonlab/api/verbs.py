"""The data and training verbs as Python functions: ``synth``, ``check``, ``train``, ``load``, ``demo``, ``compare``.

Each calls the same library function as its command (see :mod:`toonlab.cli`), with Python's spelling of the
options: keyword arguments instead of ``--flags`` (:mod:`toonlab.api.overrides`). Heavy imports happen inside.

Example:
    >>> toonlab.synth("toons", n=200, size=64)  # doctest: +SKIP
    >>> run = toonlab.train("toons", epochs=1, tasks=["hair"])  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from toonlab.runs import default_run_dir
from toonlab.api.overrides import build_config
from toonlab.api.run import CONFIG_FILE, Run
from toonlab.api.words import speaks_python
from toonlab.errors import ToonlabError

COMPARE_MODELS = ("mlp", "cnn", "features", "last_layer", "finetune")


@speaks_python
def synth(out: str | Path, *, n: int = 10000, size: int = 256, seed: int = 0, workers: int = 0,
          overwrite: bool = False, masks: bool = False, progress: bool = True):
    """Draw the built-in cartoon faces (CartoonSet layout: ``0/ … 9/`` with ``csX.png`` + ``csX.csv``).

    Args:
        out: the folder to write; one that already holds exactly this set is reused.
        n: number of faces.
        size: image side in pixels.
        seed: the same seed gives byte-identical files.
        workers: processes (0 = one per core).
        overwrite: replace a folder that holds other files.
        masks: also write ``csX.mask.png``, where each attribute is drawn (for explanation scores).
        progress: show a progress bar.

    Returns:
        A :class:`~toonlab.data.synth.writer.SynthSummary` (``out``, ``n``, ``size``, ``seconds``, ``reused``).

    Example:
        >>> toonlab.synth("toons", n=200, size=64).n  # doctest: +SKIP
        200
    """
    from toonlab.data.synth import synthesize  # lazy: `import toonlab` stays fast
    from toonlab.progress import Progress

    return synthesize(out, n=n, size=size, seed=seed, workers=workers, overwrite=overwrite, masks=masks,
                      progress=Progress("synth", enabled=progress))


@speaks_python
def check(data: str | Path | None = None, /, *, config: str | Path | Mapping | None = None, progress: bool = True,
          **overrides: Any):
    """What loads from ``data``, every file or row that cannot be used and why, label counts, duplicates.

    Args:
        data: the data folder (or data.path of ``config``).
        config: a YAML file or a dict of sections; its data section says how labels are read.
        progress: show a progress bar while images are decoded into the cache.
        **overrides: label options and config keys, e.g. ``source="manifest", labels="labels.csv"``,
            ``image_size=64``, ``seed=1`` (see :func:`train`).

    Returns:
        A :class:`~toonlab.data.check.CheckReport`; ``format_check(report)`` gives the command's text and
        ``report.as_dict()`` its JSON.

    Example:
        >>> report = toonlab.check("toons")  # doctest: +SKIP
        >>> report.used, report.skipped  # doctest: +SKIP
        (200, [])
    """
    from toonlab.data.check import check_data  # lazy: `import toonlab` stays fast
    from toonlab.progress import Progress

    cfg = _need_data(build_config(data, config=config, **overrides), "check")
    return check_data(cfg.data, seed=cfg.train.seed, progress=Progress("cache", enabled=progress))


@speaks_python
def train(data: str | Path | None = None, /, out: str | Path | None = None, *,
          config: str | Path | Mapping | None = None, resume: bool = False, overwrite: bool = False,
          **overrides: Any) -> Run:
    """Train one multi-head CNN (or one per task) on ``data``, evaluate it on the test split, write the report.

    Args:
        data: the data folder (or data.path of ``config``); ``data=`` as a keyword may be the folder or a
            data section dict.
        out: the run folder; None = a new ``runs/<data name>-<date>-<time>`` each call, so running the
            same notebook cell again trains a fresh run instead of failing.
        config: a YAML file or a dict of sections, e.g. ``{"train": {"epochs": 3}}``.
        resume: continue the interrupted run in ``out`` from its last checkpoint.
        overwrite: replace the run already in ``out`` (a folder that is not a toonlab run is never deleted).
        **overrides: shortcuts as on the command line (``epochs``, ``tasks`` as a list or comma string,
            ``image_size``, ``lr``, ``seed``, ``batch_size``, ``budget``, ``mode``, ``folds``, ``repeats``,
            ``source``, ``labels``, ``pattern``, ``regression``, ``group``, ``limit``, ``progress``, ...), a
            section as a dict (``model={"widths": [32, 64]}``) or any key as ``**{"train.lr": 1e-3}``.

    Returns:
        The :class:`Run`: ``.dir``, ``.metrics``, ``.history``, ``.predict(images)``, ``.report()``, ...

    Raises:
        ToonlabError: an unknown keyword (with the closest valid one), a bad value, a missing data folder,
            or ``out`` holding another run without ``resume=True``.

    Example:
        >>> run = toonlab.train("toons", epochs=5, tasks=["hair", "face_color"])  # doctest: +SKIP
        >>> run.metrics["tasks"]["hair"]["accuracy"]  # doctest: +SKIP
        0.87
    """
    from toonlab.report import refresh_report  # lazy: `import toonlab` stays fast
    from toonlab.workflows.train import train as train_run

    cfg = _need_data(build_config(data, config=config, **overrides), "train")
    folder = _run_folder(out, cfg.data.path, resume, overwrite)
    metrics = train_run(cfg, folder, resume=resume, overwrite=overwrite,
                        command=call_text("train", data, out, overrides))
    refresh_report(folder)
    return Run(folder, metrics=metrics)


@speaks_python
def load(run: str | Path) -> Run:
    """The :class:`Run` in a folder written earlier by :func:`train` or ``toonlab train``.

    Example:
        >>> run = toonlab.load("runs/toons-20261203-093000")  # doctest: +SKIP
        >>> run.metrics["mean_accuracy"]  # doctest: +SKIP
        0.91
    """
    return Run(run)


@speaks_python
def demo(folder: str | Path = "toonlab-demo", *, n: int = 10000, config: str | Path | Mapping | None = None,
         **overrides: Any) -> Run:
    """Draw ``n`` faces into ``folder`` (reused when present), train the shipped demo recipe, write the report.

    Args:
        folder: where the data set (``cartoonset-<n>``) and runs (``runs/<date-time>``) go.
        n: faces to draw.
        config: a YAML file or dict over the demo recipe.
        **overrides: as for :func:`train`, e.g. ``epochs=2``.

    Example:
        >>> run = toonlab.demo(n=2000, epochs=3)  # doctest: +SKIP
    """
    from toonlab.demo import demo as run_demo  # lazy: `import toonlab` stays fast
    from toonlab.demo import demo_config
    from toonlab.progress import Progress
    from toonlab.report import refresh_report

    cfg = build_config(config=config, base=demo_config(), **overrides)
    result = run_demo(cfg, folder=folder, n=n, synth_progress=Progress("synth", enabled=cfg.train.progress),
                      command=call_text("demo", folder, None, overrides))
    refresh_report(result.run)
    return Run(result.run, metrics=result.metrics)


@speaks_python
def compare(data: str | Path | None, /, out: str | Path, *, models: str | list[str] = COMPARE_MODELS,
            backbone: str = "efficientnet_lite0", resume: bool = False,
            config: str | Path | Mapping | None = None, **overrides: Any) -> list:
    """Train several approaches on one split into ``out/<approach>`` and return the comparison table's rows.

    Args:
        data: the data folder (or data.path of ``config``).
        out: folder for one run per approach and compare.csv.
        models: approaches: mlp, cnn, features, last_layer, finetune, scratch (a list or comma string).
        backbone: the pretrained backbone of the transfer approaches.
        resume: skip approaches already finished in ``out``; continue the rest.
        config, **overrides: as for :func:`train`.

    Returns:
        One :class:`~toonlab.compare.Approach` per approach (train/val/test accuracy, epochs, wall time);
        ``toonlab.load(Path(out) / row.name)`` gives its run.

    Example:
        >>> rows = toonlab.compare("toons", "cmp", models=["mlp", "cnn"], epochs=2)  # doctest: +SKIP
    """
    from toonlab.compare import compare as run_compare  # lazy: `import toonlab` stays fast

    cfg = _need_data(build_config(data, config=config, check=False, **overrides), "compare")
    names = [m.strip() for m in (models.split(",") if isinstance(models, str) else models) if m.strip()]
    return run_compare(cfg, names, out, backbone=backbone, resume=resume)


def call_text(verb: str, data: Any, out: Any, overrides: Mapping[str, Any]) -> str:
    """The Python call, for metrics.json's ``command``: ``toonlab.train('toons', epochs=1)``."""
    parts = [repr(str(data))] if data is not None else []
    parts += [f"out={str(out)!r}"] if out is not None else []
    parts += [f"{k}={v!r}" if k.isidentifier() else f"**{{{k!r}: {v!r}}}" for k, v in overrides.items()]
    return f"toonlab.{verb}({', '.join(parts)})"


def _run_folder(out: str | Path | None, data: str, resume: bool, overwrite: bool) -> Path:
    """``out``, or a fresh default folder; refuses (in Python's words) to train over another run."""
    if resume and overwrite:
        raise ToonlabError("resume=True continues the run in out= and overwrite=True replaces it: pass one of them.")
    if out is None:
        if resume:
            raise ToonlabError("resume=True needs the run to continue: pass out= (e.g. out=run.dir of that run).")
        return default_run_dir(data)
    folder = Path(out)
    if resume and not (folder / CONFIG_FILE).exists():
        raise ToonlabError(f"Cannot resume: {str(folder)!r} holds no run. Train it without resume=True.")
    if (folder / CONFIG_FILE).exists() and not (resume or overwrite):
        raise ToonlabError(f"{str(folder)!r} already holds a run. Continue it with resume=True, replace it with "
                           "overwrite=True, pass another out=, or leave out= unset for a new folder under runs/.")
    return folder


def _need_data(cfg, verb: str):
    """``cfg`` if it names a data folder, else the error a Python caller can act on."""
    if not cfg.data.path:
        raise ToonlabError(f"No data folder: pass it first, toonlab.{verb}('faces/', ...), or set data.path in "
                           "config=.")
    return cfg


"""The run-folder layout, in one place.

```
RUN/
  config.yaml        resolved experiment config
  splits.csv         file,split for every usable image
  skipped.csv        file,reason for every image or row not used
  conflicts.csv      task,cluster,file,label,split,pixels: duplicate copies whose labels disagree
  metrics.json       per-task test metrics, split sizes, seed, wall time, device
  predictions.csv    per test image: true and predicted label and probability per task
  history.csv, tb/, checkpoints/{best,last}.pt      (mode 'shared')
  tasks/<task>/{history.csv, tb/, checkpoints/}      (mode 'separate': one network per task)
```
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import yaml

from toonlab.config import SECTIONS, ExperimentConfig, from_dict, load_yaml
from toonlab.errors import ToonlabError

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
RUNS_DIR = "runs"
RUN_MARKS = ("splits.csv", "skipped.csv", METRICS_FILE, "checkpoints", "tasks", "fold-1", "seed-0")
"""Besides a toonlab-shaped config.yaml, a run folder holds at least one of these (checked before --overwrite)."""


def default_run_dir(data_path: str | Path | None, *, prefix: str = "", now: datetime | None = None,
                    parent: str | Path = RUNS_DIR) -> Path:
    """The run folder used when none is given: ``runs/<prefix><data folder name>-<YYYYmmdd-HHMMSS>``.

    A folder that already exists gets ``-2``, ``-3``, ... (several runs started in the same second).

    Args:
        data_path: the data folder (its last part names the run); None names it ``run``.
        prefix: put before the data folder name, e.g. ``"compare-"``.
        now: the time stamped into the name (default: now, local time).
        parent: where run folders go (default ``runs`` in the current folder).

    Example:
        >>> default_run_dir("data/faces", now=datetime(2026, 12, 3, 9, 30, 5)).as_posix()
        'runs/faces-20261203-093005'
    """
    name = Path(data_path).expanduser().resolve().name if data_path else ""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(parent) / f"{prefix}{name or 'run'}-{stamp}"
    run, k = base, 1
    while run.exists():
        k += 1
        run = base.with_name(f"{base.name}-{k}")
    return run


def default_tune_dir(data_path: str | Path | None, *, parent: str | Path = RUNS_DIR) -> Path:
    """The folder of ``toonlab tune`` when none is given: ``runs/tune-<data folder name>`` (``runs/tune``
    without data). Fixed, not time-stamped, so running the same command again resumes the search.

    Example:
        >>> default_tune_dir("data/faces").as_posix()
        'runs/tune-faces'
    """
    name = Path(data_path).expanduser().resolve().name if data_path else ""
    return Path(parent) / (f"tune-{name}" if name else "tune")


def is_run_folder(path: str | Path) -> bool:
    """True when ``path`` holds a toonlab run: a config.yaml with toonlab's sections and a run file beside it."""
    path = Path(path)
    try:
        raw = yaml.safe_load((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    shaped = isinstance(raw, dict) and {"data", "model", "train"} <= set(raw) <= set(SECTIONS)
    return shaped and any((path / mark).exists() for mark in RUN_MARKS)


def has_trained(run: str | Path) -> bool:
    """True once a network of the run has finished an epoch: a history row, a checkpoint or test metrics."""
    run = Path(run)
    return (any(run.rglob("history.csv")) or any(run.rglob(METRICS_FILE))
            or any(p.parent.name == "checkpoints" for p in run.rglob("*.pt")))


def group_folder(run: str | Path, *, mode: str, task: str | None = None) -> Path:
    """Where one trained network lives: RUN itself (shared) or RUN/tasks/<task> (separate)."""
    return Path(run) if mode == "shared" else Path(run) / "tasks" / str(task)


def member_runs(run: str | Path) -> list[Path]:
    """The member runs of a k-fold (``fold-*``) or repeats (``seed-*``) parent, in number order; [] otherwise."""
    run = Path(run)
    if (run / "checkpoints").exists() or (run / "tasks").exists():
        return []
    for pattern in ("fold-*", "seed-*"):
        found = [p for p in run.glob(pattern) if (p / CONFIG_FILE).exists()]
        if found:
            return sorted(found, key=_member_number)
    return []


def _member_number(path: Path) -> int:
    tail = path.name.split("-", 1)[1]
    return int(tail) if tail.isdigit() else 0


def history_files(run: str | Path) -> list[Path]:
    """``history.csv`` of each network of a run (one in shared mode, one per task in separate mode)."""
    shared = Path(run) / "history.csv"
    return [shared] if shared.exists() else sorted((Path(run) / "tasks").glob("*/history.csv"))


def read_history(path: str | Path) -> list[dict[str, float]]:
    """A history.csv as one ``{column: value}`` dict per epoch."""
    with Path(path).open(newline="", encoding="utf-8") as f:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def best_checkpoints(run: str | Path) -> list[Path]:
    """Every network's best.pt in a run (one for shared mode, one per task for separate mode)."""
    run = Path(run)
    shared = run / "checkpoints" / "best.pt"
    found = [shared] if shared.exists() else sorted((run / "tasks").glob("*/checkpoints/best.pt"))
    if not found:
        raise ToonlabError(f"{str(run)!r} holds no trained model (no checkpoints/best.pt). "
                           "Pass a folder written by `toonlab train DATA --out RUN`.")
    return found


def load_run_config(run: str | Path) -> ExperimentConfig:
    """The resolved config saved in a run."""
    path = Path(run) / CONFIG_FILE
    if not path.exists():
        raise ToonlabError(f"{str(run)!r} is not a toonlab run (no {CONFIG_FILE}). "
                           "Pass a folder written by `toonlab train DATA --out RUN`.")
    return from_dict(load_yaml(path), where=str(path))

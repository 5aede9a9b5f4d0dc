"""``toonlab demo``: draw the built-in cartoon set (reused if present), train all 18 attributes, report.

Example:
    >>> result = demo(demo_config(), folder="toonlab-demo")  # doctest: +SKIP
    >>> result.metrics["mean_accuracy"] > 0.9  # doctest: +SKIP
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from toonlab.config import ExperimentConfig, from_dict, load_yaml
from toonlab.data.synth import synthesize
from toonlab.workflows.train import train

RECIPE = "demo.yaml"


@dataclass
class DemoResult:
    """What the demo produced: the run folder, its metrics and the time it took."""

    run: Path
    data: Path
    metrics: dict[str, Any]
    seconds: float
    synth_seconds: float


def demo_config() -> ExperimentConfig:
    """The shipped demo recipe (``toonlab/recipes/demo.yaml``) as a config."""
    path = resources.files("toonlab.recipes").joinpath(RECIPE)
    with resources.as_file(path) as p:
        return from_dict(load_yaml(p), where=f"recipe {RECIPE}")


def demo(
    cfg: ExperimentConfig | None = None,
    *,
    folder: str | Path = "toonlab-demo",
    n: int = 10000,
    seed: int = 0,
    synth_progress: Callable[[int, int], None] | None = None,
    command: str = "toonlab demo",
) -> DemoResult:
    """Synthesize ``n`` faces into ``folder/cartoonset-<n>`` (reused when present) and train a fresh run."""
    start = time.perf_counter()
    cfg = cfg or demo_config()
    folder = Path(folder)
    data = folder / f"cartoonset-{n}"
    summary = synthesize(data, n=n, seed=seed, progress=synth_progress, overwrite=True)  # the demo owns this folder
    cfg.data.path = str(data)
    run = _new_run_folder(folder / "runs")
    metrics = train(cfg, run, command=command)
    return DemoResult(run, data, metrics, time.perf_counter() - start, summary.seconds)


def _new_run_folder(runs: Path) -> Path:
    """runs/<date-time>, with -2, -3, ... when several demos start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run, k = runs / stamp, 1
    while run.exists():
        k += 1
        run = runs / f"{stamp}-{k}"
    return run


"""What several verbs print: the result table with its footer, the command line, logging."""

from __future__ import annotations

import logging
import shlex
import sys
from typing import Callable


def print_result(metrics: dict, run: str, format_metrics: Callable) -> None:
    from toonlab.evaluate.advice import format_advice  # lazy: `toonlab --help` stays fast

    advice = format_advice(metrics.get("advice", []))
    if "members" in metrics:
        from toonlab.evaluate.aggregate import format_aggregate  # lazy: `toonlab --help` stays fast

        print(format_aggregate(metrics) + (f"\n\n{advice}" if advice else ""))
        print(f"\nEach member is a run folder under {run}/ · Metrics: {run}/metrics.json")
        return
    print(format_metrics(metrics) + (f"\n\n{advice}" if advice else ""))
    sizes = metrics.get("splits", {})
    print(f"\nsplit {sizes} · seed {metrics.get('seed')} · {metrics.get('device')} · "
          f"train wall time {metrics.get('wall_time_s', 'n/a')}s")
    print(f"Metrics: {run}/metrics.json · per-task confusion matrices, mistakes and plots: {run}/eval/")


def command_line(argv: list[str]) -> str:
    return "toonlab " + " ".join(shlex.quote(a) for a in argv)


def setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)

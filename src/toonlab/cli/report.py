"""The ``report`` verb: ``toonlab report RUN`` writes ``RUN/report.html``.

:mod:`toonlab.cli.app` lists it in its verb table and turns a ``ToonlabError`` into one paragraph and
exit code 2. ``refresh`` is what ``train``, ``eval``, ``explain`` and ``demo`` call at their end.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train` (or a sweep folder).")


def report(args: argparse.Namespace) -> int:
    from toonlab.report import write_report  # lazy: `toonlab --help` stays fast

    print(f"Report: {write_report(args.run)}")
    return 0


def refresh(run: str | Path) -> None:
    """Rewrite RUN/report.html after a verb and print its path; a failure is only a logged warning
    (and ``eval.report: false`` in the run's config switches it off)."""
    from toonlab.report import refresh_report  # lazy: `toonlab --help` stays fast

    path = refresh_report(run)
    if path is not None:
        print(f"Report: {path}")

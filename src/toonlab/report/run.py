"""``toonlab report RUN``: one self-contained HTML page (RUN/report.html) that shows a run at a glance.

The page holds everything it shows: images are base64 ``data:`` URIs, the style sheet is inline, and
there is no script and no link outside the run folder, so it can be mailed or archived as one file.
Each section appears only when the run holds its data, under a stable id:

- a run: ``result`` (headline, bar chart, warnings, advice), ``metrics``, ``curves``, ``confusion``,
  ``mistakes``, ``robustness``, ``explain``, ``diagnose``, ``data``, then how it was made: ``command``,
  ``config``;
- a k-fold or repeated-seed parent: ``result``, ``members`` (each member gets its own report),
  ``command``, ``config``;
- a sweep folder: ``trials``, ``sweep-plots``, ``best``, ``config`` (the sweep file).

``train``, ``eval``, ``explain`` and ``demo`` call :func:`refresh_report` at their end (unless the run's
config says ``eval.report: false``); it never fails the verb.

Example:
    >>> path = write_report("runs/first")  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    'report.html'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from toonlab.atomic import write_text_atomic
from toonlab.version import __version__
from toonlab.report.curves import curves_section
from toonlab.report.evaluation import confusion_section, mistakes_section, robustness_section
from toonlab.report.explanations import explain_section
from toonlab.report.files import ReportFolder, read_text, read_yaml
from toonlab.report.groups import (
    best_section,
    diagnose_section,
    members_section,
    sweep_file_section,
    sweep_plots_section,
    trials_section,
)
from toonlab.report.html import Raw, page
from toonlab.report.result import result_section
from toonlab.report.summary import (
    command_section,
    config_section,
    data_section,
    metrics_section,
)

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
Section = tuple[str, str, Callable[[ReportFolder], Raw | None]]  # (id, title in the contents line, builder)
RUN_SECTIONS: tuple[Section, ...] = (
    ("result", "Result", result_section), ("metrics", "Metrics", metrics_section),
    ("curves", "Learning curves", curves_section), ("confusion", "Confusion", confusion_section),
    ("mistakes", "Mistakes", mistakes_section), ("robustness", "Robustness", robustness_section),
    ("explain", "Explanations", explain_section), ("diagnose", "Diagnostics", diagnose_section),
    ("data", "Data", data_section), ("command", "Command", command_section), ("config", "Config", config_section))
MEMBERS_SECTIONS: tuple[Section, ...] = (
    ("result", "Result", result_section), ("members", "Mean ± std", members_section),
    ("command", "Command", command_section), ("config", "Config", config_section))
SWEEP_SECTIONS: tuple[Section, ...] = (
    ("trials", "Trials", trials_section), ("sweep-plots", "Curves", sweep_plots_section),
    ("best", "Best config", best_section), ("config", "Sweep file", sweep_file_section))
PLANS = {"run": RUN_SECTIONS, "members": MEMBERS_SECTIONS, "sweep": SWEEP_SECTIONS}
KIND_NAMES = {"run": "Run", "members": "Folds/seeds", "sweep": "Sweep"}


def write_report(run: str | Path) -> Path:
    """Write ``run/report.html`` for a run, k-fold/repeats parent or sweep folder; return its path.

    A k-fold or repeats parent also writes each member's report and links to it.

    Args:
        run: the folder written by ``toonlab train`` or ``toonlab sweep``.

    Raises:
        ToonlabError: ``run`` is not a folder, or holds neither a run nor a sweep.
    """
    folder = ReportFolder.open(run)
    if folder.kind == "members":
        for name in folder.metrics["members"]:
            if (folder.path / name).is_dir():
                refresh_report(folder.path / name, force=True)
    sections = [(sid, title, markup) for sid, title, build in PLANS[folder.kind] if (markup := build(folder))]
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime())
    subtitle = f"{KIND_NAMES[folder.kind]} folder {folder.path.resolve()} · written {stamp} by toonlab {__version__}"
    return write_text_atomic(folder.path / REPORT_FILE, page(f"toonlab report: {folder.path.resolve().name}",
                                                         subtitle, sections))


def refresh_report(run: str | Path, *, force: bool = False) -> Path | None:
    """:func:`write_report` for the end of a verb: never raises; a failure is logged as a warning.

    Args:
        run: the run (or sweep) folder.
        force: write even when the run's config says ``eval.report: false``.

    Returns:
        The report's path, or None when it was switched off or could not be written.
    """
    try:
        if not force and not _enabled(Path(run)):
            log.debug("eval.report is false: %s/%s not refreshed.", run, REPORT_FILE)
            return None
        return write_report(run)
    except Exception as e:  # noqa: BLE001 - the report is a by-product; the verb that trained must not fail
        log.warning("Could not write %s: %s. `toonlab report %s` tries again.", Path(run) / REPORT_FILE, e, run)
        return None


def _enabled(run: Path) -> bool:
    """False only when RUN/config.yaml says ``eval: {report: false}``."""
    section = read_yaml(read_text(run / "config.yaml")).get("eval")
    return not (isinstance(section, dict) and section.get("report") is False)

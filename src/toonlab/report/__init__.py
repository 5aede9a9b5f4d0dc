"""``toonlab report``: one self-contained HTML page per run, k-fold/repeats parent or sweep folder.

Example:
    >>> from toonlab.report import write_report
    >>> write_report("runs/first")  # doctest: +SKIP
    PosixPath('runs/first/report.html')
"""

from toonlab.report.run import REPORT_FILE, refresh_report, write_report

__all__ = ["REPORT_FILE", "refresh_report", "write_report"]

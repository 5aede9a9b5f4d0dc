"""Where toonlab's log lines go when the program using it has not configured logging.

The library only logs (through the ``toonlab`` logger); the command line sets up logging itself. From
Python, Keras and fastai print their epoch lines by default; toonlab does the same: the public entry
points (``toonlab.workflows.train.train``, ``evaluate_run``, ...) call :func:`ensure_console`, which attaches
a stderr handler at INFO to the ``toonlab`` logger when neither it nor the root logger has a handler.
A program that configures logging (``logging.basicConfig(...)``, a handler on ``toonlab``) decides
instead, and the default handler steps aside. To silence the lines:
``logging.getLogger("toonlab").setLevel(logging.WARNING)``.

Example:
    >>> ensure_console()
"""

from __future__ import annotations

import logging
import sys

LOGGER = "toonlab"


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a notebook or a test may replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def ensure_console() -> None:
    """Show the ``toonlab`` logger's INFO lines on stderr unless the program has configured logging."""
    logger, root = logging.getLogger(LOGGER), logging.getLogger()
    own = [h for h in logger.handlers if isinstance(h, _Stderr)]
    if own and root.handlers:  # the program configured logging since: let it decide
        for handler in own:
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        return
    if logger.handlers or root.handlers:
        return
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)

"""Progress of long loops, the same way in every verb: a bar where one can be drawn, a few plain lines elsewhere.

:func:`progress_mode` decides once per loop:

- ``"bar"``: a tqdm bar on stderr, when stderr is an interactive terminal or the code runs in a
  Jupyter kernel (``tqdm.auto`` then draws a notebook widget);
- ``"lines"``: stderr goes to a file, a pipe, CI or ``nohup``: no bar and no carriage returns, only a
  plain line through the ``toonlab`` logger at each tenth of the way, at most one per
  :data:`PLAIN_EVERY_S` seconds (a loop shorter than that prints nothing);
- ``"off"``: progress was switched off (``--no-progress``, ``--quiet``, ``train.progress=false``,
  ``progress=False`` in Python).

Example:
    >>> for batch in track(range(3), "demo", enabled=False):
    ...     pass
    >>> bar = Progress("cache", enabled=False)
    >>> bar(5, 10)
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

log = logging.getLogger("toonlab.progress")
T = TypeVar("T")
PLAIN_STEP = 0.1  # plain lines: at each tenth of the way ...
PLAIN_EVERY_S = 10.0  # ... and at most one per this many seconds (the first after this long)


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal that says how wide it is (tests monkeypatch this).

    A pseudo-terminal of width 0 (``docker run -t``, ``script`` without a terminal) gets plain lines:
    tqdm would draw nothing there.
    """
    try:
        return bool(sys.stderr.isatty() and os.get_terminal_size(sys.stderr.fileno()).columns > 0)
    except (AttributeError, OSError, ValueError):  # no such method, no descriptor, a closed stream
        return False


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session, where tqdm draws a widget instead of a text bar."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_mode(enabled: bool = True) -> str:
    """``"bar"``, ``"lines"`` or ``"off"`` for a loop that would show progress when ``enabled``."""
    if not enabled:
        return "off"
    return "bar" if stderr_is_tty() or in_notebook() else "lines"


def format_eta(seconds: float) -> str:
    """A short duration for progress lines: 12s, 3m05s, 1h02m."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Progress of ``total`` units: a bar, a few plain lines, or nothing (see :func:`progress_mode`).

    Use it as a ``progress(done, total)`` callback (as ``synthesize`` and ``build_cache`` call it), or
    call :meth:`update` per unit and :meth:`close` at the end. The bar opens on the first report and
    closes when ``done`` reaches ``total``.

    Args:
        desc: what is counted, shown first on each line, e.g. ``"cache"`` or ``"epoch 3/20"``.
        total: units expected (may also come with the first ``(done, total)`` call).
        enabled: False shows nothing.
        unit: the unit's name, e.g. ``"img"``.
        every: plain lines at most once per this many seconds (default :data:`PLAIN_EVERY_S`).
        summary: after plain progress lines, end with ``desc: N unit in 42s`` (False when the caller
            logs its own closing line, as each epoch does).
    """

    def __init__(self, desc: str, *, total: int | None = None, enabled: bool = True, unit: str = "img",
                 every: float | None = None, summary: bool = True) -> None:
        self.desc, self.total, self.unit, self.every, self.summary = desc, total, unit, every, summary
        self.mode = progress_mode(enabled)
        self.enabled = self.mode != "off"
        self.done, self.postfix, self.bar = 0, "", None
        self.start = self.last = time.perf_counter()
        self.next_step, self.lines = PLAIN_STEP, 0

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        self.update(done - self.done)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        if not self.enabled:
            return
        self.done += n
        if self.mode == "bar":
            self._bar().update(n)
        else:
            self._maybe_line()
        if self.total and self.done >= self.total:
            self.close()

    def set_postfix(self, text: str) -> None:
        """A short note after the counts, e.g. ``"loss 0.412"``."""
        self.postfix = text
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        """Remove the bar; in plain mode end with a last line if earlier lines were written."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.mode == "lines" and self.lines and self.done and self.summary:
            log.info("%s", self._line(final=True))
            self.lines = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _bar(self):
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=self.desc, unit=self.unit, leave=False, dynamic_ncols=True,
                            file=sys.stderr, postfix=self.postfix or None)
        return self.bar

    def _maybe_line(self) -> None:
        now, every = time.perf_counter(), PLAIN_EVERY_S if self.every is None else self.every
        fraction = self.done / self.total if self.total else 0.0
        if fraction < self.next_step or now - self.last < every or (self.total and self.done >= self.total):
            return
        self.next_step = (int(fraction / PLAIN_STEP) + 1) * PLAIN_STEP
        self.last, self.lines = now, self.lines + 1
        log.info("%s", self._line())

    def _line(self, *, final: bool = False) -> str:
        elapsed = time.perf_counter() - self.start
        if final:
            text = f"{self.desc}: {self.done} {self.unit} in {format_eta(elapsed)}"
        else:
            left = elapsed * (self.total - self.done) / self.done if self.total and self.done else 0.0
            percent = f" ({100 * self.done / self.total:.0f} %)" if self.total else ""
            text = (f"{self.desc}: {self.done}/{self.total or '?'} {self.unit}{percent}, {format_eta(elapsed)}, "
                    f"ETA {format_eta(left)}")
        return f"{text}, {self.postfix}" if self.postfix and not final else text


ProgressBar = Progress  # the earlier name


def track(items: Iterable[T], desc: str, *, total: int | None = None, enabled: bool = True, unit: str = "it",
          every: float | None = None) -> Iterator[T]:
    """Yield ``items`` while showing their progress (``total`` defaults to ``len(items)`` when it has one).

    Example:
        >>> [x for x in track([1, 2], "numbers", enabled=False)]
        [1, 2]
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    progress = Progress(desc, total=total, enabled=enabled, unit=unit, every=every)
    if not progress.enabled:
        yield from items
        return
    try:
        for item in items:
            yield item
            progress.update()
    finally:
        progress.close()

"""A wall-clock budget for a sampled search, kept in the study so that a resumed search counts what it spent.

The time spent is stored in the study's user attributes (``search_spent_s``) after every trial,
so running the same command again continues with what is left instead of starting the budget
over. A new trial starts only while the typical finished trial still fits in the time left (the
first one always starts); a trial that runs past the deadline is stopped after its epoch.

Example:
    >>> clock = SearchClock(600.0)
    >>> clock.attach(study)  # doctest: +SKIP
    >>> clock.left()  # doctest: +SKIP
    588.2
"""

from __future__ import annotations

import statistics
import time

import optuna
from optuna.trial import TrialState

SPENT = "search_spent_s"


class SearchClock:
    """``budget_s`` seconds of search, of which the attached study may already have spent some."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = float(budget_s)
        self.study: optuna.Study | None = None
        self.before = 0.0  # spent by earlier runs of the same search
        self.start = time.monotonic()
        self.stopped: float | None = None

    def attach(self, study: optuna.Study) -> None:
        """Start counting on ``study``: what earlier runs stored plus the time from now on."""
        self.study, self.start, self.stopped = study, time.monotonic(), None
        self.before = float(study.user_attrs.get(SPENT, 0.0))

    def spent(self) -> float:
        """Seconds spent on the search so far, earlier runs included (up to :meth:`stop`)."""
        if self.study is None:
            return self.before
        return self.before + ((self.stopped or time.monotonic()) - self.start)

    def left(self) -> float:
        """Seconds of the budget not yet spent (negative when overrun)."""
        return self.budget_s - self.spent()

    def deadline(self) -> float:
        """The ``time.monotonic()`` at which the budget ends."""
        return time.monotonic() + self.left()

    def save(self) -> None:
        """Store the time spent in the study, for a later run of the same search."""
        if self.study is not None:
            self.study.set_user_attr(SPENT, round(self.spent(), 3))

    def stop(self) -> None:
        """Stop counting (the search is over) and store the time spent."""
        self.save()
        self.stopped = time.monotonic()

    def fits_another(self) -> bool:
        """Whether a new trial should start: time is left, and at least the typical trial's duration
        (the median of completed trials; of pruned ones while none completed)."""
        typical = typical_duration(self.study) if self.study is not None else None
        return self.left() > 0 and (typical is None or typical <= self.left())


def typical_duration(study: optuna.Study) -> float | None:
    """The median wall time of the study's completed trials (else of its pruned ones), or None."""
    for states in ((TrialState.COMPLETE,), (TrialState.PRUNED,)):
        done = study.get_trials(deepcopy=False, states=states)
        times = [(t.datetime_complete - t.datetime_start).total_seconds() for t in done
                 if t.datetime_start is not None and t.datetime_complete is not None]
        if times:
            return statistics.median(times)
    return None

"""How far a sweep has come and how long the rest should take, for the line each finished trial says.

A worker knows the trials its study holds (finished by any worker, on any machine) and how long its
own trials took. The time left is its mean trial time times the trials left, shared among the
workers training right now:

    trial p003 done: val_loss 0.8123 (5 epochs, 41.0 s) · 4/12 trials · ETA 5m28s

Example:
    >>> pace = TrialPace()
    >>> pace.describe(finished=0, total=12, running=1)
    '0/12 trials'
    >>> pace.describe(finished=1, total=None, running=1)
    '1 trial done'
"""

from __future__ import annotations

import math
import time

from toonlab.progress import format_eta


class TrialPace:
    """This worker's trial times; :meth:`describe` turns them and the study's counts into ``4/12 trials · ETA``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.trials = 0
        self.started: float | None = None

    def start(self) -> None:
        """A trial begins."""
        self.started = time.perf_counter()

    def stop(self) -> None:
        """The trial begun last has ended (done, pruned or failed)."""
        if self.started is not None:
            self.seconds += time.perf_counter() - self.started
            self.trials += 1
            self.started = None

    def describe(self, *, finished: int, total: int | None, running: int) -> str:
        """``finished/total trials`` and, once a trial has been timed, ``ETA`` for the trials left.

        Args:
            finished: trials of the study (this round) that have ended with a result.
            total: trials the study (round) will hold, or None when unknown (a time budget).
            running: trials training now on any worker (at least 1 is assumed).
        """
        if not total:
            return f"{finished} trial{'' if finished == 1 else 's'} done"
        text = f"{min(finished, total)}/{total} trials"
        left = total - finished
        if left > 0 and self.trials:
            mean = self.seconds / self.trials
            text += f" · ETA {format_eta(mean * math.ceil(left / max(1, running)))}"
        return text

"""A toonlab command that SIGKILLs itself at a chosen point, for the crash tests (not a test itself).

Usage: ``python crash_worker.py POINT N toonlab-args...``: runs ``toonlab toonlab-args...`` in this process and
kills it (SIGKILL: no ``finally``, no flush) at the N-th time it reaches POINT:

- ``decode``: about to decode an image into the cache (rows before it are written, later ones are not);
- ``cache-commit``: the cache's data file is renamed into place, its ``.json`` (the completion mark) is not;
- ``checkpoint``: half-way through writing ``last.pt`` (its temporary file, where the writer uses one);
- ``trial-tell``: a sweep trial's numbers are stored as user attributes, the study is not yet told it completed.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def die_at(n: int):
    """A function that SIGKILLs this process on its ``n``-th call."""
    def maybe_die() -> None:
        maybe_die.calls += 1
        if maybe_die.calls == n:
            os.kill(os.getpid(), signal.SIGKILL)

    maybe_die.calls = 0
    return maybe_die


def install(point: str, n: int) -> None:
    die = die_at(n)
    if point == "decode":
        from toonlab.data import cache

        real_decode = cache.decode_image
        cache.decode_image = lambda *a, **kw: (die(), real_decode(*a, **kw))[1]
    elif point == "cache-commit":
        from toonlab.data import cache

        real_replace = os.replace
        cache.os = _Os(lambda src, dst: (die() if str(dst).endswith(".json") else None, real_replace(src, dst)))
    elif point == "checkpoint":
        import torch

        real_save = torch.save

        def save(obj, f, *a, **kw):
            real_save(obj, f, *a, **kw)
            if Path(f).name in ("last.pt", "last.pt.tmp"):  # wherever the writer puts the bytes first
                if die.calls + 1 == n:
                    os.truncate(f, Path(f).stat().st_size // 2)  # as if the kill came mid-write
                die()

        torch.save = save
    elif point == "trial-tell":
        import optuna

        real_tell = optuna.study.Study.tell

        def tell(self, trial, values=None, state=None, skip_if_finished=False):
            if values is not None and state is None:
                die()
            return real_tell(self, trial, values, state, skip_if_finished)

        optuna.study.Study.tell = tell
    else:
        raise SystemExit(f"unknown crash point {point!r}")


class _Os:
    """``os`` with another ``replace`` (only the cache module sees it)."""

    def __init__(self, replace) -> None:
        self.replace = replace

    def __getattr__(self, name: str):
        return getattr(os, name)


if __name__ == "__main__":
    install(sys.argv[1], int(sys.argv[2]))
    from toonlab.cli import main

    raise SystemExit(main(sys.argv[3:]))

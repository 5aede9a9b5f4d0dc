"""Starting data-parallel training: ``toonlab train ... --nproc N`` runs N copies of itself, like torchrun.

Each copy is ``python -m toonlab`` with the same arguments and torchrun's environment (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) plus
``TOONLAB_NPROC``, which tells a copy that it is one of the N rather than the one that starts them.
What the copies then do is :mod:`toonlab.train.distributed`. This module imports no torch, so the
command line can ask which process it is (:func:`rank`) before anything heavy is loaded.

Example:
    >>> check_nproc(1)  # one process: nothing to launch
    False
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from toonlab.errors import ToonlabError

LAUNCHED = "TOONLAB_NPROC"  # set by launch() in every copy it starts
TORCHRUN_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class ReportedByRankZero(ToonlabError):
    """An error that stops every rank of a data-parallel run; rank 0 reports it, the command line on
    the other ranks stays quiet (they take the same decisions, or were told by rank 0 to stop)."""


def rank() -> int:
    """This process's rank in a torchrun / ``--nproc`` launch (0 when there is none)."""
    return int(os.environ.get("RANK", "0") or 0)


def world_size() -> int:
    """How many processes train together (1 without torchrun / ``--nproc``)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def check_nproc(nproc: int) -> bool:
    """Check ``--nproc``; True when this process must start ``nproc`` copies of itself (see :func:`launch`)."""
    if nproc < 1:
        raise ToonlabError(f"--nproc is the number of processes training one model together: 1 (the default) "
                           f"or more. Received: --nproc {nproc}")
    launched = os.environ.get(LAUNCHED) == str(nproc)
    if nproc > 1 and world_size() > 1 and not launched:
        raise ToonlabError(f"--nproc {nproc} starts its own processes, but this one already runs under torchrun "
                           f"(WORLD_SIZE={world_size()}). Either launch `torchrun --nproc_per_node N -m toonlab "
                           "train ...` without --nproc, or run `toonlab train ... --nproc N` without torchrun.")
    return nproc > 1 and not launched


def check_parallel(cfg: Any, nproc: int) -> None:
    """Refuse what one model trained by ``nproc`` processes cannot do (``cfg``: an ExperimentConfig)."""
    several = "trains several models; run it with --nproc 1 (or without torchrun)"
    refusals = [
        (cfg.data.folds, f"data.folds={cfg.data.folds}", f"k-fold cross-validation {several}"),
        (cfg.train.repeats > 1, f"train.repeats={cfg.train.repeats}", f"train.repeats {several}"),
        (cfg.train.checkpoint_every, f"train.checkpoint_every={cfg.train.checkpoint_every}",
         ("mid-epoch checkpoints are single-process only; set train.checkpoint_every=0 (last.pt is still "
          "written after every epoch, and --resume continues from there)")),
        (cfg.train.batch_size < 2 * nproc, f"train.batch_size={cfg.train.batch_size}",
         (f"train.batch_size is the global batch, split across the {nproc} processes, and each needs at least "
          f"2 images (batch norm); use train.batch_size >= {2 * nproc} or fewer processes")),
    ]
    for bad, received, why in refusals:
        if bad:
            raise ToonlabError(f"Data-parallel training ({nproc} processes, from --nproc or torchrun) trains one "
                               f"model, but {why}. Received: {received}")


def launch(argv: list[str], nproc: int) -> int:
    """Run ``python -m toonlab ARGV`` as ranks 0..nproc-1 on this machine; their exit code.

    The first copy to fail stops the others (as torchrun does); Ctrl-C reaches every copy,
    and rank 0 says how to resume.
    """
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), LAUNCHED: str(nproc),
           "WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc)}
    command = [sys.executable, "-m", "toonlab", *argv]
    procs = [subprocess.Popen(command, env={**env, "RANK": str(r), "LOCAL_RANK": str(r)}) for r in range(nproc)]
    try:
        with _sigterm_as_exit():
            return _wait(procs)
    except KeyboardInterrupt:  # the terminal sent SIGINT to every copy too; let them finish saying so
        _stop(procs, signal.SIGINT, after_s=2.0)
        return 130
    finally:  # e.g. this process was sent SIGTERM: no copy may outlive it
        _stop(procs, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(procs: list[subprocess.Popen]) -> int:
    """Wait for every copy; on the first failure stop the rest and return its exit code."""
    while True:
        codes = [p.poll() for p in procs]
        failed = [c for c in codes if c not in (None, 0)]
        if failed:
            _stop(procs, signal.SIGTERM)
            return failed[0] if failed[0] > 0 else 128 - failed[0]  # killed by signal N: 128 + N, as a shell says
        if all(c == 0 for c in codes):
            return 0
        time.sleep(0.1)


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while waiting, so the ``finally`` that stops the copies runs."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(procs: list[subprocess.Popen], sig: int, *, after_s: float = 0.0, grace_s: float = 10.0) -> None:
    """Give the copies ``after_s`` to end on their own, then send ``sig``, then after ``grace_s`` kill them."""
    _join(procs, after_s)
    for p in procs:
        if p.poll() is None:
            p.send_signal(sig)
    _join(procs, grace_s)
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def _join(procs: list[subprocess.Popen], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)

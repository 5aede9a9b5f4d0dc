"""The run folder a training writes into: new, continued (``resume``) or replaced (``overwrite``).

A run that fails before any of its networks finishes an epoch leaves nothing behind that would
block the same command from running again: :func:`unfinished_removed` takes back what it wrote
(only the files and folders it created; a folder that held other things before keeps them).

Example:
    >>> check_out(Path("runs/new"), resume=False, overwrite=False)  # doctest: +SKIP
    >>> with unfinished_removed(Path("runs/new"), resume=False):  # doctest: +SKIP
    ...     ...  # prepare the data, write config.yaml, train
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toonlab.errors import ToonlabError
from toonlab.runs import CONFIG_FILE, has_trained, is_run_folder

log = logging.getLogger(__name__)


def check_out(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse an ``out`` this run cannot use; with ``overwrite``, delete the toonlab run that is there.

    Raises:
        ToonlabError: ``out`` is a file; it holds a run and neither ``resume`` nor ``overwrite`` is
            given; ``resume`` finds no run; ``overwrite`` finds a folder that is not a toonlab run;
            or both ``resume`` and ``overwrite`` are given.
    """
    if resume and overwrite:
        raise ToonlabError("--resume continues the run in --out and --overwrite replaces it; give one of them. "
                           "Received: --resume --overwrite")
    if out.exists() and not out.is_dir():
        raise ToonlabError(f"--out must name a folder for the run, but {str(out)!r} is a file. "
                           f"Choose another --out folder. Received: --out {out}")
    has_run = (out / CONFIG_FILE).exists()
    if resume and not has_run:
        raise ToonlabError(f"Cannot resume: {str(out)!r} holds no run. Start it without --resume.")
    if overwrite:
        _replace(out)
    elif has_run and not resume:
        raise ToonlabError(f"{str(out)!r} already holds a run. Continue it with --resume, replace it with "
                           "--overwrite, or choose another --out folder.")


def _replace(out: Path) -> None:
    """Delete the run in ``out`` (for --overwrite); a folder that is not a toonlab run is never touched."""
    if not out.exists() or not any(out.iterdir()):
        return
    if not is_run_folder(out):
        raise ToonlabError(f"--overwrite replaces only a toonlab run folder, and {str(out)!r} is not one (no "
                           f"config.yaml written by `toonlab train` beside the run's files), so nothing was deleted. "
                           f"Choose another --out folder, or empty this one yourself if it may go. "
                           f"Received: --out {out} --overwrite")
    log.info("Replacing the run in %s (--overwrite).", out)
    shutil.rmtree(out)


@contextmanager
def unfinished_removed(out: Path, *, resume: bool) -> Iterator[Path]:
    """Create ``out`` for the run inside the block; if the block fails before any network of the run
    has finished an epoch, remove what the run wrote there (a resumed run keeps everything).

    Yields:
        ``out``, created.
    """
    before = None if not out.exists() else set(out.iterdir())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ToonlabError(f"Cannot create the run folder {str(out)!r}: {e.strerror or e}. Choose another --out "
                           f"folder, one you may write to. Received: --out {out}") from None
    try:
        yield out
    except Exception:
        if not resume and not has_trained(out):
            _remove_new(out, before)
        raise


def _remove_new(out: Path, before: set[Path] | None) -> None:
    """Delete what appeared in ``out`` since ``before`` (all of ``out`` when it did not exist)."""
    if before is None:
        shutil.rmtree(out, ignore_errors=True)
    else:
        for path in set(out.iterdir()) - before:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    log.info("Removed the unfinished run from %s (it stopped before its first epoch ended), so the same "
             "command can start it again.", out)

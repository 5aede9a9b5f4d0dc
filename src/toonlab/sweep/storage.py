"""Where a sweep's Optuna study lives: an SQLite file in the sweep folder, or any database URL.

Every worker opens the same storage with a heartbeat, so a worker that dies mid-trial leaves a
trial whose heartbeat stops; the others mark it failed after ``grace`` seconds and re-queue its point.

Example:
    >>> url = storage_url("sweeps/comics", None)  # doctest: +SKIP
    >>> storage = open_storage(url, heartbeat=10)  # doctest: +SKIP
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import optuna

from toonlab.errors import ToonlabError

STUDY_DB = "study.db"
RETRIES = 5


class SweepError(ToonlabError):
    """A sweep cannot start or go on as asked (storage unreachable, sweep file changed, ...)."""


def storage_url(out: str | Path, url: str | None) -> str:
    """``url`` as given, or the default SQLite file ``OUT/study.db``."""
    if url:
        return url
    return f"sqlite:///{(Path(out) / STUDY_DB).resolve()}"


def open_storage(url: str, *, heartbeat: int = 10, grace: int | None = None) -> optuna.storages.RDBStorage:
    """An Optuna RDB storage with heartbeats every ``heartbeat`` s; stale after ``grace`` s (default 6x)."""
    if not isinstance(heartbeat, int) or heartbeat < 1:
        raise SweepError(f"heartbeat must be a whole number of seconds >= 1. Received: {heartbeat!r}")
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    for attempt in range(RETRIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat,
                                                  grace_period=grace or 6 * heartbeat)
        except ImportError:  # SQLAlchemy 2.1 reads postgresql:// with psycopg 3, older ones with psycopg2
            raise SweepError(f"The storage {hide_password(url)!r} needs a database driver that is not installed. "
                             "For PostgreSQL: `pip install 'toonlab[postgres]'` (psycopg 3 and psycopg2).") from None
        except Exception as e:  # noqa: BLE001 - SQLAlchemy's many errors (bad URL, refused, no database) read alike
            if _creating_tables_race(e) and attempt + 1 < RETRIES:
                time.sleep(0.2 * (attempt + 1))  # another worker is creating the same tables: open them after it
                continue
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip(".")
            raise SweepError(f"Cannot open the sweep storage {hide_password(url)!r}: {reason}. Check the URL (e.g. "
                             "postgresql://user:password@host:5432/dbname) and that the server is up.") from None
    raise AssertionError("unreachable")


def _creating_tables_race(error: Exception) -> bool:
    """Two workers creating Optuna's tables in a new database at once: the loser sees them appear."""
    text = str(error)
    return "already exists" in text or "duplicate key" in text or "UniqueViolation" in text


def hide_password(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)

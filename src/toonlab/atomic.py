"""Files written so that no reader, and no run after a crash, ever sees half of one: the text goes to a
temporary file beside the target, which is then renamed into place (one atomic step on a file system).

Example:
    >>> with replacing(run / "splits.csv", newline="") as f:  # doctest: +SKIP
    ...     f.write("file,split\\n")
    >>> write_text_atomic(run / "metrics.json", "{}")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def replacing(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text file to write, which replaces ``path`` when the ``with`` block ends without an error
    (on an error the temporary file is removed and ``path`` is left as it was)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline=newline) as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) in one step; returns the path."""
    with replacing(path) as f:
        f.write(text)
    return Path(path)

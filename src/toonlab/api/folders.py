"""Default folders of the Python API: a fresh run folder per call, so re-running a notebook cell never collides.

``default_run_dir`` is a stand-in until :mod:`toonlab.runs` has its own ``default_run_dir`` (issue 20);
then this function can simply call it.

Example:
    >>> default_run_dir("faces/").parent
    PosixPath('runs')
"""

from __future__ import annotations

import time
from pathlib import Path


def default_run_dir(data: str | Path | None, *, root: str | Path = "runs") -> Path:
    """``runs/<data folder name>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, ... when that folder exists already.

    Example:
        >>> default_run_dir("faces").name.startswith("faces-")
        True
    """
    name = Path(data).expanduser().resolve().name if data else "run"
    stamp = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, k = Path(root) / stamp, 1
    while folder.exists():
        k += 1
        folder = Path(root) / f"{stamp}-{k}"
    return folder


def default_tune_dir(data: str | Path | None) -> Path:
    """``runs/tune-<data folder name>`` (``runs/tune`` without data), as ``toonlab tune`` uses; a second call resumes.

    Example:
        >>> default_tune_dir("faces")
        PosixPath('runs/tune-faces')
    """
    name = Path(data).expanduser().resolve().name if data else ""
    return Path("runs") / (f"tune-{name}" if name else "tune")

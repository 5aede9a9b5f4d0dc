"""``data.exclude`` (``--exclude FILE``): leave out the images a CSV lists, e.g. the label errors of ``toonlab audit``.

The CSV needs a ``file`` column holding paths relative to the data folder (as ``audit.csv``, ``skipped.csv``
and ``predictions.csv`` write them) or absolute. Each image left out becomes a skipped item whose reason
names the CSV (and, for an audit CSV, the task, the given and the suggested label), so it shows in
``skipped.csv``, in ``check`` and in the image counts: found = used + skipped still holds, and nothing is
dropped silently. Edit the CSV first to keep the images whose labels you checked and found right.

Example:
    >>> labels = exclude_listed(labels, "audit/audit.csv", root="faces")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import replace
from pathlib import Path

from toonlab.data.samples import LabelSet, Skipped
from toonlab.errors import DataError

log = logging.getLogger(__name__)
FILE_COLUMN = "file"


def exclude_listed(labels: LabelSet, listing: str | Path, *, root: str | Path) -> LabelSet:
    """``labels`` without the samples ``listing`` names; they join ``labels.skipped`` with the reason.

    Raises:
        DataError: the CSV cannot be read, has no ``file`` column, or names none of the images of ``root``.
    """
    reasons = read_listing(listing, root=root)
    keep, dropped = [], []
    for sample in labels.samples:
        reason = reasons.get(_relative(sample.path, root))
        (keep if reason is None else dropped).append(sample if reason is None else Skipped(str(sample.path), reason))
    if reasons and not dropped:
        example = next(iter(reasons))
        raise DataError(f"--exclude {str(listing)!r}: none of its {len(reasons)} files is an image of {str(root)!r} "
                        f"(e.g. {example!r}). Its 'file' column must hold paths relative to the data folder, as "
                        "`toonlab audit` writes them, or absolute paths.")
    if len(dropped) < len(reasons):
        log.warning("--exclude %s: %d of its %d files are not images of this data folder (or were skipped "
                    "already); they are ignored.", listing, len(reasons) - len(dropped), len(reasons))
    log.info("Excluded %d images listed in %s (skipped.csv gives each with its reason).", len(dropped), listing)
    skipped = sorted([*labels.skipped, *dropped], key=lambda s: Path(s.path).as_posix())
    return replace(labels, samples=keep, skipped=skipped)


def read_listing(listing: str | Path, *, root: str | Path) -> dict[str, str]:
    """``{path relative to root: reason}`` for every row of the CSV (one reason per file, tasks joined)."""
    rows = _rows(Path(listing))
    reasons: dict[str, list[str]] = {}
    for row in rows:
        file = (row.get(FILE_COLUMN) or "").strip()
        if file:
            reasons.setdefault(_relative(Path(root) / file, root), []).append(_detail(row))
    name = Path(listing).name
    return {f: f"excluded by --exclude {name}" + _joined(details) for f, details in reasons.items()}


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"--exclude {str(path)!r} cannot be read as a CSV file ({e}). Pass the audit.csv written by "
                        "`toonlab audit`, or any CSV with a 'file' column.") from None
    if FILE_COLUMN not in columns:
        raise DataError(f"--exclude {str(path)!r} has no 'file' column. Expected a CSV such as `toonlab audit`'s "
                        f"audit.csv (file,task,given,suggested,...). Received the columns: {columns}")
    return rows


def _detail(row: dict[str, str]) -> str:
    """``hair: given '3', suggested '5'`` for an audit row; '' for a plain list of files."""
    task, given, suggested = (row.get(k) or "" for k in ("task", "given", "suggested"))
    return f"{task}: given {given!r}, suggested {suggested!r}" if task and suggested else ""


def _joined(details: list[str]) -> str:
    shown = [d for d in dict.fromkeys(details) if d]
    return f" (suspected label error: {'; '.join(shown)})" if shown else ""


def _relative(path: str | Path, root: str | Path) -> str:
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()

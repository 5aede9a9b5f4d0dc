"""Which labels are not drawn in which image: one visibility table, read for every label source.

Some labels cannot be seen in some images (the glasses colour of a face without glasses). A
visibility CSV says which: a ``file`` column (each image's path relative to DATA) and one column
per task, ``1`` = drawn, ``0`` = not drawn. Files the table does not list are drawn everywhere.
The built-in set's ``hidden.csv`` (long format: ``file,attribute`` rows naming what is not drawn)
is read as the same thing. The table is ``data.visibility`` (``--visibility FILE``; ``none`` reads
none), else the first that exists of ``DATA/visibility.csv``, ``visibility.csv`` beside a
manifest file and ``DATA/hidden.csv``.

A label that is not drawn is still a label: it trains like any other unless
``train.undrawn_labels=skip``, and evaluation adds the accuracy where drawn.

Example:
    >>> table = read_visibility(Path("faces/visibility.csv"))  # doctest: +SKIP
    >>> table.not_drawn["0/cs1.png"]  # doctest: +SKIP
    frozenset({'glasses_color'})
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from toonlab.data.samples import LabelSet, Sample
from toonlab.data.tables import Row, read_table
from toonlab.errors import DataError

log = logging.getLogger(__name__)

VISIBILITY_FILE = "visibility.csv"
HIDDEN_FILE = "hidden.csv"
LONG_HEADER = ["file", "attribute"]
NONE = "none"
VALUES = {"1": False, "0": True}  # cell -> not drawn?



@dataclass
class Visibility:
    """A visibility table as read.

    Attributes:
        path: the CSV file.
        not_drawn: relative image path -> the tasks not drawn in it (only images with at least one).
        tasks: every task the table names -> where (``"column 'x'"`` or ``"line 7"``), for messages.
        files: every image path the table lists -> its line.
    """

    path: Path
    not_drawn: dict[str, frozenset[str]]
    tasks: dict[str, str]
    files: dict[str, int]


def find_visibility(root: Path, option: str = "", labels: str = "") -> Path | None:
    """The visibility table of the data folder ``root``, or None when there is none.

    Args:
        root: the data folder.
        option: ``data.visibility``: a file (relative to ``root`` or absolute), ``none``, or ``""`` to look
            for ``root/visibility.csv``, ``visibility.csv`` beside the manifest ``labels``, ``root/hidden.csv``.
        labels: ``data.labels``, the manifest file ('' for other sources).

    Raises:
        DataError: ``option`` names a file that does not exist.
    """
    if option.strip().lower() == NONE:
        return None
    if option:
        path = _under(root, option)
        if not path.is_file():
            raise DataError(f"Visibility file {str(path)!r} (--visibility, data.visibility) does not exist. Pass a "
                            f"CSV relative to the data folder {str(root)!r} or an absolute path, or 'none' to read "
                            f"none. Received: {option!r}")
        return path
    beside = [_under(root, labels).parent / VISIBILITY_FILE] if labels else []
    return next((p for p in [root / VISIBILITY_FILE, *beside, root / HIDDEN_FILE] if p.is_file()), None)


def read_visibility(path: Path, *, root: Path | None = None, file_column: str = "file") -> Visibility:
    """Read a visibility table: wide (``file`` + one 0/1 column per task) or long (``file,attribute``).

    Args:
        path: the CSV/TSV file.
        root: the data folder; absolute image paths inside it become relative.
        file_column: the image column when the table has no ``file`` column (``data.file_column``).

    Raises:
        DataError: naming the file, line and column: no file column, a value other than 0/1, a row
            with the wrong number of fields or no file name, a second row for the same image.
    """
    header, rows = read_table(path, what="Visibility file", needs="a header 'file,<task>,...' and one row per "
                              "image with 1 (drawn) or 0 (not drawn) per task")
    if header == LONG_HEADER:
        return _read_long(path, rows, root)
    column = "file" if "file" in header else file_column
    if column not in header:
        raise DataError(f"Visibility file {str(path)!r} has no column {column!r} for the image paths. Name it 'file' "
                        f"(the image path relative to DATA), then one column per task with 1 (drawn) or 0 (not "
                        f"drawn). Received columns: {', '.join(header)}")
    if len(header) < 2:
        raise DataError(f"Visibility file {str(path)!r} has no task columns: after {column!r} it needs one column "
                        f"per task with 1 (drawn) or 0 (not drawn). Received columns: {', '.join(header)}")
    return _read_wide(path, header, rows, header.index(column), root)


def add_visibility(labels: LabelSet, root: Path, table: Visibility | None, *, known: list[str],
                   explicit: bool = False) -> LabelSet:
    """``labels`` with each sample's ``hidden`` set from ``table``; a combined task is not drawn where a factor is not.

    Args:
        labels: what the source read (tasks possibly filtered by ``--tasks``).
        root: the data folder (samples' paths are relative to it in the table).
        table: the visibility table, or None (nothing changes).
        known: every task the source could read: a table column outside ``labels.tasks`` but in ``known``
            is ignored (with a warning when ``explicit``), any other column is an error.
        explicit: the table was given with ``data.visibility`` rather than found beside the labels.
    """
    if table is None:
        return labels
    _check_tasks(table, labels, known, explicit)
    rels = [_inside(root, s.path) for s in labels.samples]
    samples = [_hide(s, table.not_drawn.get(rel, frozenset()), labels) for s, rel in zip(labels.samples, rels)]
    skipped = [s for s in labels.skipped if Path(s.path) != table.path]  # the table is not an image gone missing
    _log_unknown_files(table, set(rels) | {_inside(root, s.path) for s in skipped})
    _log_counts(table, samples)
    return LabelSet(samples, labels.tasks, skipped, labels.found - (len(labels.skipped) - len(skipped)))


def _hide(sample: Sample, not_drawn: frozenset[str], labels: LabelSet) -> Sample:
    if not not_drawn:
        return sample
    hidden = {t for t in not_drawn if t in labels.tasks} | set(sample.hidden)
    hidden |= {name for name, spec in labels.tasks.items() if set(spec.factors) & hidden}
    return replace(sample, hidden=frozenset(hidden)) if hidden else sample


def _check_tasks(table: Visibility, labels: LabelSet, known: list[str], explicit: bool) -> None:
    unknown = [t for t in table.tasks if t not in known and t not in labels.tasks]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"Visibility file {str(table.path)!r} {table.tasks[name]} names task {name!r}, which is no "
                        f"label of this data.{hint} Valid tasks: {', '.join(known) or '(none)'}. "
                        f"Received: {', '.join(unknown)}")
    left_out = [t for t in table.tasks if t not in labels.tasks]
    if left_out:
        (log.warning if explicit else log.info)(
            "Visibility file %s: task(s) %s are not among the chosen tasks (--tasks); their columns are ignored.",
            table.path, ", ".join(left_out))


def _log_unknown_files(table: Visibility, present: set[str]) -> None:
    missing = [rel for rel in table.files if rel not in present]
    if missing:
        first = missing[0]
        log.warning("Visibility file %s: %d of the %d images it lists are not in the data (e.g. %r, line %d); "
                    "their rows are ignored.", table.path, len(missing), len(table.files), first, table.files[first])


def _log_counts(table: Visibility, samples: list[Sample]) -> None:
    counts = Counter(t for s in samples for t in s.hidden)
    images = sum(1 for s in samples if s.hidden)
    shown = ", ".join(f"{t} {n}" for t, n in counts.most_common())
    log.info("Visibility file %s: %d of %d images have labels that are not drawn (%s).",
             table.path, images, len(samples), shown or "none")


def _read_wide(path: Path, header: list[str], rows: list[Row], at: int, root: Path | None) -> Visibility:
    tasks = {c: f"column {c!r}" for i, c in enumerate(header) if i != at}
    not_drawn: dict[str, frozenset[str]] = {}
    files: dict[str, int] = {}
    for number, fields in rows:
        rel = _row_file(path, number, fields, len(header), at, files, root)
        files[rel] = number
        hidden = frozenset(c for i, c in enumerate(header) if i != at and _cell(path, number, c, fields[i]))
        if hidden:
            not_drawn[rel] = hidden
    return Visibility(path, not_drawn, tasks, files)


def _read_long(path: Path, rows: list[Row], root: Path | None) -> Visibility:
    not_drawn: dict[str, set[str]] = {}
    tasks: dict[str, str] = {}
    files: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, fields in rows:
        rel = _row_file(path, number, fields, 2, 0, {}, root)
        name = fields[1]
        if not name:
            raise DataError(f"Visibility file {str(path)!r} line {number}: no attribute. Expected 'file,attribute' "
                            f"(an image and a task not drawn in it). Received: {','.join(fields)!r}")
        if (rel, name) in seen:
            raise DataError(f"Visibility file {str(path)!r} line {number}: a second row for {rel!r} and {name!r} "
                            f"(first on line {seen[rel, name]}). Remove one of them.")
        seen[rel, name] = number
        tasks.setdefault(name, f"line {number}")
        files.setdefault(rel, number)
        not_drawn.setdefault(rel, set()).add(name)
    return Visibility(path, {k: frozenset(v) for k, v in not_drawn.items()}, tasks, files)


def _row_file(path: Path, number: int, fields: list[str], width: int, at: int, files: dict[str, int],
              root: Path | None) -> str:
    """The row's image path (relative, forward slashes); DataError for a bad or repeated row."""
    where = f"Visibility file {str(path)!r} line {number}"
    if len(fields) != width:
        raise DataError(f"{where}: expected {width} fields, one per header column. Received {len(fields)}: "
                        f"{','.join(fields)!r}")
    rel = _relative(root, fields[at]) if fields[at] else ""
    if not rel:
        raise DataError(f"{where}: no file name. Each row starts with an image path relative to DATA.")
    if rel in files:
        raise DataError(f"{where}: a second row for {rel!r} (first on line {files[rel]}). Keep one row per image.")
    return rel


def _cell(path: Path, number: int, column: str, value: str) -> bool:
    """True when the cell says 'not drawn' (0); DataError unless it is 0 or 1."""
    if value not in VALUES:
        raise DataError(f"Visibility file {str(path)!r} line {number}, column {column!r}: expected 1 (drawn) or 0 "
                        f"(not drawn). Received: {value!r}")
    return VALUES[value]


def _relative(root: Path | None, value: str) -> str:
    """An image path as the table keys it: relative to ``root``, forward slashes, no leading ``./``."""
    path = Path(value.replace("\\", "/"))
    if path.is_absolute() and root is not None:
        try:
            path = path.relative_to(root)
        except ValueError:
            pass
    return path.as_posix()


def _inside(root: Path, path: str | Path) -> str:
    """``path`` relative to ``root`` with forward slashes (as given when it is outside ``root``)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _under(root: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else root / path

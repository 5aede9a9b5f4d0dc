"""The ``manifest`` source: one CSV or TSV file listing each image and its labels.

The file (``--labels``, relative to the data folder or absolute) has a header row; the
``--file-column`` holds each image's path relative to the data folder and every other column
is a task (or the ``--group`` key). The delimiter is a tab if the header has one, else a comma,
else ``;``. Rows that cannot be used, and images the file does not list, are reported as skipped.

Example:
    >>> labels = load_labels("drawings", source="manifest",
    ...                      options=SourceOptions(labels="labels.csv", regression=["age"]))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path

from toonlab.data.converters import apply_converters, check_converters
from toonlab.data.encode import Record, encode_records
from toonlab.data.samples import LabelSet, Skipped
from toonlab.data.sources.base import (IMAGE_SUFFIXES, SOURCES, SourceOptions, check_regression, find_files,
                                       is_image_name, select_tasks)
from toonlab.data.tables import Row, read_table
from toonlab.errors import DataError



@SOURCES.register("manifest")
def manifest(root: Path, *, tasks: list[str] | None, options: SourceOptions | None = None) -> LabelSet:
    """Labels from one CSV/TSV file: a file column plus one column per task.

    Args:
        root: the data folder; paths in the file column are relative to it.
        tasks: None for every column but the file and group columns, or the columns to load.
        options: ``labels`` (the file), ``file_column``, ``group``, ``converters``, ``regression``.

    Raises:
        DataError: no ``labels`` option, the file is missing, unreadable or has no header,
            the file column is missing, or a task / converter names an unknown column.
    """
    options = options or SourceOptions()
    path = manifest_path(root, options.labels)
    header, rows = read_table(path)
    file_col = options.file_column
    if file_col not in header:
        raise DataError(_missing_column(path, file_col, header))
    columns = [c for c in header if c != file_col]
    group = options.group if options.group in columns else ""
    chosen = select_tasks([c for c in columns if tasks is not None or c != group], tasks)
    if not chosen:
        raise DataError(f"{path.name!r} has no label columns besides {file_col!r}. Add one column per task "
                        f"(e.g. 'file,age,sex'). Received columns: {', '.join(header)}")
    check_converters(options.converters, columns, what="column")
    check_regression(options.regression, columns, what="column")
    records, skipped, listed = _read_rows(root, path.name, header, rows, options, group)
    skipped += [Skipped(str(root / rel), f"not listed in {path.name}")
                for rel in find_files(root) if is_image_name(rel) and rel not in listed]
    labels = encode_records(records, chosen, regression=options.regression, skipped=skipped)
    return replace(labels, available=tuple(columns))


def manifest_path(root: Path, labels: str) -> Path:
    """The manifest file (``labels`` relative to ``root`` or absolute); DataError if not given or missing."""
    if not labels:
        raise DataError("The manifest source needs its labels file: pass --labels FILE (data.labels), a CSV/TSV "
                        "with a header row, relative to the data folder or absolute.")
    path = Path(labels).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise DataError(f"Labels file {str(path)!r} (--labels, data.labels) does not exist. Pass a CSV/TSV file "
                        f"relative to the data folder {str(root)!r} or an absolute path. Received: {labels!r}")
    return path


def _missing_column(path: Path, column: str, header: list[str]) -> str:
    close = difflib.get_close_matches(column, header, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"Labels file {str(path)!r} has no column {column!r} for the image paths.{hint} Pass the column that "
            f"holds each image's path as --file-column (data.file_column). Columns: {', '.join(header)}")


def _read_rows(root: Path, name: str, header: list[str], rows: list[Row], options: SourceOptions,
               group: str) -> tuple[list[Record], list[Skipped], set[str]]:
    """One Record per usable row; a Skipped per other row; and every image path the file lists."""
    at = header.index(options.file_column)
    records: list[Record] = []
    skipped: list[Skipped] = []
    first_line: dict[str, int] = {}
    listed: set[str] = set()
    for number, fields in rows:
        where = f"{name} line {number}"
        rel = _relative(root, fields[at]) if at < len(fields) and fields[at] else ""
        problem = _row_problem(root, rel, fields, header, first_line)
        listed.add(rel)
        if len(fields) == len(header):
            first_line.setdefault(rel, number)
        values, failed = apply_converters(dict(zip(header, fields)), options.converters) if not problem else ({}, "")
        if problem or failed:
            skipped.append(Skipped(str(root / rel) if rel else str(root / name), f"{where}: {problem or failed}"))
            continue
        key = values.get(group, "") if group else ""
        records.append(Record(root / rel, values, group=key or None, where=where))
    return records, skipped, listed


def _row_problem(root: Path, rel: str, fields: list[str], header: list[str], first_line: dict[str, int]) -> str:
    """Why a row cannot be used, or ''."""
    if len(fields) != len(header):
        return f"expected {len(header)} fields ({', '.join(header)}), found {len(fields)}"
    if not rel:
        return "no file name in this row"
    if rel in first_line:
        return f"a second row for {rel!r} (first listed on line {first_line[rel]})"
    if not is_image_name(rel):
        return f"{rel!r} is not an image file name (expected one of {', '.join(IMAGE_SUFFIXES)})"
    if not (root / rel).is_file():
        return f"file {rel!r} does not exist in the data folder"
    return ""


def _relative(root: Path, value: str) -> str:
    """The listed path relative to ``root`` with forward slashes (absolute paths inside ``root`` too); a
    backslash is a Windows separator unless a file of that very name exists (Linux allows ``\\`` in names)."""
    path = Path(value if (root / value).is_file() else value.replace("\\", "/"))
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return path.as_posix()
    return path.as_posix()

"""The ``filename`` source: labels encoded in file names, read with a regex of named groups.

``--pattern`` is searched (``re.search``) in each image's path relative to the data folder,
with forward slashes; every named group is a task, except the ``--group`` key. A group that
did not take part in the match gives no label for that task. ``--converters`` turn raw group
text into values first, e.g. ``{age: years.months}`` reads ``6.7`` as 79 months.

Example (children's drawings named like ``p3-67w-6.7f.jpeg``):
    >>> opts = SourceOptions(pattern=DRAWINGS_PATTERN, converters={"age": "years.months"},
    ...                      regression=["age"], group="id")
    >>> labels = load_labels("drawings", source="filename", options=opts)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from toonlab.data.converters import apply_converters, check_converters
from toonlab.data.encode import Record, encode_records
from toonlab.data.samples import LabelSet, Skipped
from toonlab.data.sources.base import (SOURCES, SourceOptions, check_regression, find_files, is_image_name,
                                       select_tasks)
from toonlab.errors import DataError

# Age group (p3, nu, ...), drawing id + author letter, age as years.months, subject letter; any folder.
DRAWINGS_PATTERN = (r"(?:^|/)(?P<age_group>[a-z]+\d*)-(?P<id>\d+)(?P<author>[a-z])-"
                    r"(?P<age>\d+\.\d+)(?P<subject>[a-z])\.jpe?g$")


@SOURCES.register("filename")
def filename(root: Path, *, tasks: list[str] | None, options: SourceOptions | None = None) -> LabelSet:
    """Labels from each image's relative path via the named groups of ``options.pattern``.

    Args:
        root: the data folder.
        tasks: None for every named group but the group key, or the groups to load.
        options: ``pattern`` (required), ``group``, ``converters`` (per group), ``regression``.

    Raises:
        DataError: no pattern, an invalid regex, a regex without named groups, an unknown task,
            or a converter for a group the regex does not have.
    """
    options = options or SourceOptions()
    regex = compile_pattern(options.pattern)
    names = list(regex.groupindex)
    group = options.group if options.group in names else ""
    chosen = select_tasks([n for n in names if tasks is not None or n != group], tasks)
    check_converters(options.converters, names, what="regex group")
    check_regression(options.regression, names, what="regex group")
    records: list[Record] = []
    skipped: list[Skipped] = []
    for rel in find_files(root):
        values, problem = _match(regex, rel, options.pattern)
        if not problem:
            values, problem = apply_converters(values, options.converters)
        if problem:
            skipped.append(Skipped(str(root / rel), problem))
        else:
            key = values.get(group, "") if group else ""
            records.append(Record(root / rel, values, group=key or None, where=PurePosixPath(rel).name))
    labels = encode_records(records, chosen, regression=options.regression, skipped=skipped)
    return replace(labels, available=tuple(names))


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled; DataError if it is empty, invalid or has no named groups.

    Example:
        >>> list(compile_pattern(r"(?P<kind>[a-z]+)_\\d+\\.png$").groupindex)
        ['kind']
    """
    if not pattern:
        raise DataError("The filename source needs a regex: pass --pattern REGEX (data.pattern) with one named "
                        "group per task, e.g. '(?P<kind>[a-z]+)_\\d+\\.png$'.")
    try:
        regex = re.compile(pattern)
    except re.error as e:
        where = f" at position {e.pos}" if e.pos is not None else ""
        raise DataError(f"--pattern (data.pattern) is not a valid regular expression: {e.msg}{where}. "
                        f"Fix the regex. Received: {pattern!r}") from None
    if not regex.groupindex:
        raise DataError(f"--pattern (data.pattern) has no named groups, so it gives no tasks. Name each group "
                        f"that is a task, e.g. '(?P<age>\\d+)' instead of '(\\d+)'. Received: {pattern!r}")
    return regex


def _match(regex: re.Pattern[str], rel: str, pattern: str) -> tuple[dict[str, str], str]:
    """The named groups' text for ``rel`` (missing groups -> ``""``), or ``{}`` and why the file is skipped."""
    if not is_image_name(rel):
        return {}, f"not an image file ({PurePosixPath(rel).suffix or 'no extension'})"
    match = regex.search(rel)
    if not match:
        return {}, f"file name does not match --pattern {pattern}"
    return {k: v or "" for k, v in match.groupdict().items()}, ""

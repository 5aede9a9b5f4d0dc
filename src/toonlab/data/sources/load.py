"""``load_labels``: the data folder and the label options in, one ``LabelSet`` out.

It validates the folder and the options, picks the source (``auto`` asks
:mod:`toonlab.data.sources.detect` which layout the folder has and logs the choice in one line),
asks the source for the tasks it needs, adds combined tasks (``a+b``), the visibility table and
group keys, and applies the limit.

Example:
    >>> labels = load_labels("data/toons", tasks="face_shape,hair_color", limit=100)  # doctest: +SKIP
    >>> labels.tasks["face_shape"].num_classes  # doctest: +SKIP
    7
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from toonlab.data.combine import add_combined, parse_combined
from toonlab.data.samples import LabelSet, Skipped, printable
from toonlab.data.sources.base import MAKE_DATA, SOURCES, SourceOptions, check_root, parse_tasks, select_tasks
from toonlab.data.sources.detect import AUTO, detect_layout
from toonlab.data.visibility import add_visibility, find_visibility, read_visibility
from toonlab.errors import DataError

log = logging.getLogger(__name__)


def load_labels(
    root: str | Path,
    *,
    source: str = AUTO,
    tasks: str | list[str] = "all",
    limit: int = 0,
    options: SourceOptions | None = None,
) -> LabelSet:
    """Read the labels of every image under ``root`` with the named label source.

    Args:
        root: the data folder.
        source: a registered label source name (see ``SOURCES.names()``), or ``"auto"`` to pick the one that
            fits the folder's layout (:func:`toonlab.data.sources.detect.detect_layout`; the choice is logged).
        tasks: ``"all"``, a comma list ``"a,b"`` or a list of task names (combined ones included).
        limit: keep only the first N usable images sorted by relative path; 0 keeps all.
            Skipped items after the last kept image are dropped from the report too.
        options: source options (manifest file, regex, regression tasks, group key, combined tasks,
            visibility table).

    Returns:
        A ``LabelSet`` whose samples are sorted by relative path; ``source`` names the source used and
        ``layout`` is the detected layout's line (``""`` when ``source`` was given).

    Raises:
        DataError: the folder is missing or holds no images, the source or a task is unknown, no layout
            (or several) fits with ``"auto"``, or the visibility table cannot be used.
    """
    folder = check_root(root)
    options = options or SourceOptions()
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise DataError(f"limit must be a whole number >= 0 (0 = all images). Received: limit={limit!r}")
    source, options, layout = _choose_source(folder, source, options)
    read = SOURCES.get(source)
    combos = parse_combined(options.combine)
    requested = parse_tasks(tasks)
    labels = _utf8_names(read(folder, tasks=_needed(requested, combos, options.group), options=options))
    if labels.found == 0:
        raise DataError(
            f"No images found in {str(folder)!r} with label source {source!r}. "
            f"Point it at the folder that holds your images, choose the --source that matches its layout, "
            f"or {MAKE_DATA}."
        )
    known = [*(labels.available or labels.tasks), *combos]
    labels = _visibility(add_combined(labels, combos), folder, options, known)
    labels = _group_by_task(labels, options.group)
    if requested is not None:
        select_tasks(list(labels.tasks), requested)
        labels.tasks = {name: labels.tasks[name] for name in requested}
        labels = _keep_labels(labels)
    labels = apply_limit(labels, limit) if limit else labels
    labels.source, labels.layout = source, layout
    return labels


def _choose_source(folder: Path, source: str, options: SourceOptions) -> tuple[str, SourceOptions, str]:
    """The source to read with, its options and the layout line: ``source`` itself, or with ``"auto"``
    the detected layout (logged)."""
    if source == AUTO:
        layout = detect_layout(folder, options)
        log.info(layout.describe())
        return layout.source, layout.options, layout.describe()
    try:
        SOURCES.get(source)
    except KeyError as e:
        raise DataError(f"{e.args[0]} Pass one of them as --source (data.source), or leave it out "
                        f"(or 'auto') to detect the layout of {str(folder)!r}.") from None
    return source, options, ""


def apply_limit(labels: LabelSet, limit: int) -> LabelSet:
    """The first ``limit`` samples, and the skipped items up to the last of them."""
    samples = labels.samples[:limit]
    if len(samples) < len(labels.samples):
        last = samples[-1].path.as_posix()
        skipped = [s for s in labels.skipped if Path(s.path).as_posix() <= last]
    else:
        skipped = labels.skipped
    return LabelSet(samples, labels.tasks, skipped, found=len(samples) + len(skipped))


def _needed(requested: list[str] | None, combos: dict[str, tuple[str, ...]], group: str) -> list[str] | None:
    """What the source must load: the requested tasks with combined ones replaced by their factors,
    every factor, and the group key (a source that reads it as a column or regex group sets
    ``Sample.group`` itself; otherwise it is a task whose label becomes the group)."""
    if requested is None:
        return None
    out: list[str] = []
    for name in requested:
        out.extend(combos.get(name, (name,)))
    for factors in combos.values():
        out.extend(factors)
    return list(dict.fromkeys(out + ([group] if group else [])))


def _visibility(labels: LabelSet, root: Path, options: SourceOptions, known: list[str]) -> LabelSet:
    """Mark the labels the visibility table says are not drawn (see :mod:`toonlab.data.visibility`)."""
    path = find_visibility(root, options.visibility, options.labels)
    if path is None or not labels.samples:  # no usable image: the caller's message says why
        return labels
    table = read_visibility(path, root=root, file_column=options.file_column)
    return add_visibility(labels, root, table, known=known, explicit=bool(options.visibility))


def _utf8_names(labels: LabelSet) -> LabelSet:
    """Skip images whose path is not valid UTF-8 (Linux allows any bytes; every file toonlab writes is UTF-8),
    and show the skipped items' paths and reasons with such bytes as ``\\xNN``."""
    kept = [s for s in labels.samples if _is_utf8(str(s.path))]
    if len(kept) == len(labels.samples) and all(_is_utf8(s.path + s.reason) for s in labels.skipped):
        return labels
    odd = [Skipped(printable(s.path), NOT_UTF8) for s in labels.samples if not _is_utf8(str(s.path))]
    skipped = [Skipped(printable(s.path), printable(s.reason)) for s in labels.skipped] + odd
    skipped.sort(key=lambda s: Path(s.path).as_posix())
    return replace(labels, samples=kept, skipped=skipped)


NOT_UTF8 = "the file name is not valid UTF-8 text; rename the file (toonlab writes file names into UTF-8 reports)"


def _is_utf8(text: str | Path) -> bool:
    try:
        str(text).encode("utf-8")
    except UnicodeEncodeError:  # a name read from disk with surrogate escapes for its undecodable bytes
        return False
    return True


def _keep_labels(labels: LabelSet) -> LabelSet:
    """Drop labels of tasks not kept; an image left with no label at all is skipped, not silently dropped."""
    kept, skipped = [], list(labels.skipped)
    for s in labels.samples:
        own = {t: v for t, v in s.labels.items() if t in labels.tasks}
        if own:
            kept.append(replace(s, labels=own))
        else:
            skipped.append(Skipped(str(s.path), f"no label for any of the tasks {', '.join(labels.tasks)}"))
    skipped.sort(key=lambda s: Path(s.path).as_posix())
    return LabelSet(kept, labels.tasks, skipped, labels.found)


def _group_by_task(labels: LabelSet, group: str) -> LabelSet:
    """With ``group`` naming a task and no group set by the source, group images by that task's label."""
    if not group or any(s.group is not None for s in labels.samples):
        return labels
    if group not in labels.tasks:
        raise DataError(
            f"Group key {group!r} (--group, data.group) is not a column, regex group or task of this data. "
            f"Tasks: {', '.join(labels.tasks)}. Name one of them, or the manifest column / regex group to group by."
        )
    spec = labels.tasks[group]
    samples = [replace(s, group=_label_text(spec, s.labels.get(group))) for s in labels.samples]
    return LabelSet(samples, labels.tasks, labels.skipped, labels.found)


def _label_text(spec: Any, value: int | float | None) -> str | None:
    if value is None:
        return None
    return spec.classes[int(value)] if spec.classes else repr(float(value))

"""What every label source shares: the registry, its options, and ``load_labels`` around them.

A source is a function ``(root, *, tasks, options) -> LabelSet`` registered in ``SOURCES`` by
name. ``tasks`` is None (every task the source finds) or the names it must load; ``options`` is
a ``SourceOptions``. ``load_labels`` validates the folder and the options, asks the source for
the tasks it needs, adds combined tasks (``a+b``), sets group keys and applies the limit.

Example:
    >>> labels = load_labels("data/toons", tasks="face_shape,hair_color", limit=100)  # doctest: +SKIP
    >>> labels.tasks["face_shape"].num_classes  # doctest: +SKIP
    7
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from toonlab.data.samples import LabelSet, Skipped
from toonlab.data.visibility import add_visibility, find_visibility, read_visibility
from toonlab.errors import DataError
from toonlab.registry import Registry

LabelSource = Callable[..., LabelSet]
SOURCES: Registry[LabelSource] = Registry("label source")

# Files PIL decodes that people keep images in; anything else found by a source is reported, not read.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAKE_DATA = "run `toonlab synth DATA` to create the built-in set"


@dataclass
class SourceOptions:
    """How a source reads labels; mirrors the label keys of :class:`toonlab.config.DataConfig`.

    Attributes:
        labels: manifest: the CSV/TSV file (relative to the data folder or absolute).
        file_column: manifest: the column holding each image's path relative to the data folder.
        pattern: filename: a regex with named groups, searched in each file's path relative to the data folder.
        regression: tasks read as numbers (regression heads); every other task is classification.
        group: a column, regex group or task whose value is the group key (a group never straddles splits).
        converters: filename/manifest: ``{field: "int" | "float" | "str" | "years.months"}`` applied to raw values.
        combine: combined tasks as ``"a+b"``; each gets one class per combination of its factors.
        visibility: the table of labels not drawn per image ('' = found beside the labels, 'none' = none);
            see :mod:`toonlab.data.visibility`.
    """

    labels: str = ""
    file_column: str = "file"
    pattern: str = ""
    regression: list[str] = field(default_factory=list)
    group: str = ""
    converters: dict[str, str] = field(default_factory=dict)
    combine: list[str] = field(default_factory=list)
    visibility: str = ""

    @classmethod
    def from_config(cls, cfg: Any) -> SourceOptions:
        """Options from a ``DataConfig`` (comma lists split into lists)."""
        return cls(labels=cfg.labels, file_column=cfg.file_column, pattern=cfg.pattern,
                   regression=split_list(cfg.regression), group=cfg.group, converters=dict(cfg.converters),
                   combine=split_list(cfg.combine), visibility=cfg.visibility)


def load_labels(
    root: str | Path,
    *,
    source: str = "cartoonset",
    tasks: str | list[str] = "all",
    limit: int = 0,
    options: SourceOptions | None = None,
) -> LabelSet:
    """Read the labels of every image under ``root`` with the named label source.

    Args:
        root: the data folder.
        source: a registered label source name (see ``SOURCES.names()``).
        tasks: ``"all"``, a comma list ``"a,b"`` or a list of task names (combined ones included).
        limit: keep only the first N usable images sorted by relative path; 0 keeps all.
            Skipped items after the last kept image are dropped from the report too.
        options: source options (manifest file, regex, regression tasks, group key, combined tasks,
            visibility table).

    Returns:
        A ``LabelSet`` whose samples are sorted by relative path.

    Raises:
        DataError: the folder is missing or holds no images, the source or a task is unknown, or the
            visibility table cannot be used.
    """
    from toonlab.data.combine import add_combined, parse_combined

    folder = check_root(root)
    options = options or SourceOptions()
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise DataError(f"limit must be a whole number >= 0 (0 = all images). Received: limit={limit!r}")
    try:
        read = SOURCES.get(source)
    except KeyError as e:
        raise DataError(f"{e.args[0]} Pass one of them as --source (data.source).") from None
    combos = parse_combined(options.combine)
    requested = parse_tasks(tasks)
    labels = read(folder, tasks=_needed(requested, combos, options.group), options=options)
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
    return apply_limit(labels, limit) if limit else labels


def parse_tasks(tasks: str | list[str]) -> list[str] | None:
    """``"all"`` -> None (every task); ``"a, b"`` or ``["a", "b"]`` -> ``["a", "b"]`` (duplicates dropped)."""
    if isinstance(tasks, str):
        if tasks.strip() == "all":
            return None
        tasks = tasks.split(",")
    names = [t.strip() for t in tasks] if isinstance(tasks, (list, tuple)) else []
    if not names or not all(isinstance(t, str) and t for t in names):
        raise DataError(f"tasks must be 'all' or a comma list of task names such as 'hair,glasses'. Received: {tasks!r}")
    return list(dict.fromkeys(names))


def split_list(value: str | list[str] | None) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` -> ``["a", "b"]``; ``""``/None -> ``[]``."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def select_tasks(available: list[str], requested: list[str] | None) -> list[str]:
    """The tasks to load: all ``available`` ones, or the ``requested`` ones if each exists (else DataError)."""
    if requested is None:
        return list(available)
    for name in requested:
        if name not in available:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(
                f"Unknown task {name!r} in tasks.{hint} Valid tasks: {', '.join(available) or '(none found)'}. "
                f"Received: tasks={','.join(requested)!r}"
            )
    return list(requested)


def check_regression(regression: list[str], fields: list[str], *, what: str) -> None:
    """DataError unless every ``--regression`` name is one of ``fields`` (a typo would silently train
    the task as classification, one class per distinct number).

    Example:
        >>> check_regression(["age"], ["age", "sex"], what="column")
    """
    for name in regression:
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(f"--regression (data.regression) names {what} {name!r}, which this data does not have."
                            f"{hint} Valid {what}s: {', '.join(fields) or '(none)'}. "
                            f"Received: regression={','.join(regression)!r}")


def find_files(root: Path) -> list[str]:
    """Relative paths (forward slashes, sorted) of every file under ``root``; hidden files and folders skipped."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + f for f in files if not f.startswith("."))
    return sorted(found)


def find_images(root: Path, suffix: str | tuple[str, ...] = ".png") -> list[str]:
    """Relative paths (sorted) of every file under ``root`` ending in ``suffix`` (any case)."""
    return [rel for rel in find_files(root) if rel.lower().endswith(suffix)]


def is_image_name(rel: str) -> bool:
    """True when the file name has one of ``IMAGE_SUFFIXES`` (any case)."""
    return rel.lower().endswith(IMAGE_SUFFIXES)


def check_root(root: str | Path) -> Path:
    """The data folder as a Path; DataError naming the fix if it is missing or a file."""
    folder = Path(root).expanduser()
    if not folder.exists():
        raise DataError(
            f"Data folder {str(folder)!r} does not exist. Pass the folder that holds your images, or {MAKE_DATA}."
        )
    if not folder.is_dir():
        raise DataError(f"Data path {str(folder)!r} is a file, not a folder. Pass the folder that holds your images.")
    return folder


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

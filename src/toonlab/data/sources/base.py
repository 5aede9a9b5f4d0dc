"""What every label source shares: the registry, its options, and helpers for files and task names.

A source is a function ``(root, *, tasks, options) -> LabelSet`` registered in ``SOURCES`` by
name. ``tasks`` is None (every task the source finds) or the names it must load; ``options`` is
a ``SourceOptions``. :func:`toonlab.data.sources.load.load_labels` wraps them.
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from toonlab.data.samples import LabelSet
from toonlab.errors import DataError
from toonlab.registry import Registry

log = logging.getLogger(__name__)
_WARNED_LINKS: set[str] = set()  # each linked folder is named once per process

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
    """Relative paths (forward slashes, sorted) of every file under ``root``; hidden files and folders skipped.

    Linked folders (symbolic links) are not followed, since one can loop back on itself; each is named in a
    warning, once, so that its images are never left out silently.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        _warn_linked(Path(folder), dirs)
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + f for f in files if not f.startswith("."))
    return sorted(found)


def _warn_linked(folder: Path, dirs: list[str]) -> None:
    for name in dirs:
        path = folder / name
        if path.is_symlink() and str(path) not in _WARNED_LINKS:
            _WARNED_LINKS.add(str(path))
            log.warning("Not reading the linked folder %s (a symbolic link to %s): its images are not used. "
                        "Pass that folder itself as DATA, or copy its images in.", path, os.readlink(path))


def find_images(images: str | Path | Sequence[str | Path]) -> list[Path]:
    """The image files named by ``images``: files as given; folders expand (recursively, sorted, hidden entries
    skipped) to their files ending in one of ``IMAGE_SUFFIXES``. The one way toonlab finds images to predict,
    explain or export with.

    Raises:
        DataError: a path that does not exist, or no image found at all.
    """
    items = [images] if isinstance(images, (str, Path)) else list(images)
    paths: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            paths += [item / rel for rel in find_files(item) if is_image_name(rel)]
        elif item.is_file():
            paths.append(item)
        else:
            raise DataError(f"No image file or folder at {str(item)!r}. Pass image files or folders of images. "
                            f"Received: {str(item)!r}")
    if not paths:
        raise DataError(f"No images found (looked for {', '.join(IMAGE_SUFFIXES)} files). "
                        f"Received: {[str(i) for i in items]}")
    return paths


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

"""Label sources: turn a data folder into a ``LabelSet`` of samples, tasks and skipped items.

Each source is a function ``(root, *, tasks) -> LabelSet`` registered in ``SOURCES``
by name; ``load_labels`` is the one public entry point that validates the folder,
the source name, the task list and the limit around it.

Example:
    >>> labels = load_labels("data/toons", tasks="face_shape,hair_color", limit=100)  # doctest: +SKIP
    >>> labels.tasks["face_shape"].num_classes  # doctest: +SKIP
    7
"""

from __future__ import annotations

import csv
import difflib
import os
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from toonlab.data.samples import LabelSet, Sample, Skipped, TaskSpec
from toonlab.errors import DataError
from toonlab.registry import Registry

LabelSource = Callable[..., LabelSet]
SOURCES: Registry[LabelSource] = Registry("label source")

HIDDEN_FILE = "hidden.csv"
_MAKE_DATA = "run `toonlab synth DATA` to create the built-in set"
_LINE_FORMAT = '`"name", index, count` (3 comma-separated fields, index and count whole numbers)'


def load_labels(
    root: str | Path, *, source: str = "cartoonset", tasks: str | list[str] = "all", limit: int = 0
) -> LabelSet:
    """Read the labels of every image under ``root`` with the named label source.

    Args:
        root: the data folder.
        source: a registered label source name (see ``SOURCES.names()``).
        tasks: ``"all"``, a comma list ``"a,b"`` or a list of task names.
        limit: keep only the first N usable images sorted by relative path; 0 keeps all.
            Skipped items after the last kept image are dropped from the report too.

    Returns:
        A ``LabelSet`` whose samples are sorted by relative path.

    Raises:
        DataError: the folder is missing or holds no images, the source or a task is unknown.

    Example:
        >>> load_labels("toons", tasks="glasses", limit=10).found  # doctest: +SKIP
        10
    """
    folder = _check_root(root)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise DataError(f"limit must be a whole number >= 0 (0 = all images). Received: limit={limit!r}")
    try:
        read = SOURCES.get(source)
    except KeyError as e:
        raise DataError(f"{e.args[0]} Pass one of them as source (data.source).") from None
    labels = read(folder, tasks=parse_tasks(tasks))
    if labels.found == 0:
        raise DataError(
            f"No images found in {str(folder)!r} with label source {source!r}. "
            f"Point it at the folder that holds your images, or {_MAKE_DATA}."
        )
    return _apply_limit(labels, limit) if limit else labels


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


def find_images(root: Path, suffix: str = ".png") -> list[str]:
    """Relative paths (forward slashes, sorted) of every file under ``root`` ending in ``suffix`` (any case)."""
    found = []
    for folder, _, files in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + f for f in files if f.lower().endswith(suffix))
    return sorted(found)


def read_hidden(root: Path) -> dict[str, frozenset[str]]:
    """``root/hidden.csv`` (columns ``file,attribute``) as ``{relative path: hidden attributes}``; {} if absent."""
    path = root / HIDDEN_FILE
    if not path.is_file():
        return {}
    hidden: dict[str, set[str]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows, [])]
        if header != ["file", "attribute"]:
            raise DataError(f"{str(path)!r} must start with the header 'file,attribute'. Received: {','.join(header)!r}")
        for number, row in enumerate(rows, start=2):
            if len(row) != 2:
                raise DataError(f"{str(path)!r} line {number}: expected 2 fields 'file,attribute'. Received: {row!r}")
            hidden.setdefault(row[0].strip(), set()).add(row[1].strip())
    return {k: frozenset(v) for k, v in hidden.items()}


def _check_root(root: str | Path) -> Path:
    folder = Path(root).expanduser()
    if not folder.exists():
        raise DataError(
            f"Data folder {str(folder)!r} does not exist. Pass the folder that holds your images, or {_MAKE_DATA}."
        )
    if not folder.is_dir():
        raise DataError(f"Data path {str(folder)!r} is a file, not a folder. Pass the folder that holds your images.")
    return folder


def _apply_limit(labels: LabelSet, limit: int) -> LabelSet:
    samples = labels.samples[:limit]
    if len(samples) < len(labels.samples):
        last = samples[-1].path.as_posix()
        skipped = [s for s in labels.skipped if Path(s.path).as_posix() <= last]
    else:
        skipped = labels.skipped
    return LabelSet(samples, labels.tasks, skipped, found=len(samples) + len(skipped))


# --- cartoonset: X.png with a sidecar X.csv of `"name", index, count` lines -------------------

Parsed = dict[str, tuple[int, int]]  # attribute -> (index, count), in file order


@SOURCES.register("cartoonset")
def cartoonset(root: Path, *, tasks: list[str] | None) -> LabelSet:
    """CartoonSet 10k/100k layout (flat or ``0/``..``9/``) and ``toonlab synth`` output."""
    rels = find_images(root)
    parsed: dict[str, Parsed] = {}
    skipped: list[Skipped] = []
    for rel in rels:
        result = _read_sidecar(root / rel, tasks)
        if isinstance(result, str):
            skipped.append(Skipped(str(root / rel), result))
        else:
            parsed[rel] = result
    # With no readable sidecar at all, report every image as skipped instead of 'unknown task'.
    chosen = select_tasks(_attribute_order(parsed.values()), tasks) if parsed else []
    counts = {name: _majority_count(parsed.values(), name) for name in chosen}
    hidden = read_hidden(root)
    samples = []
    for rel, attrs in parsed.items():
        problem = _check_attributes(attrs, counts)
        if problem:
            skipped.append(Skipped(str(root / rel), problem))
        else:
            labels = {name: attrs[name][0] for name in chosen}
            samples.append(Sample(root / rel, labels, hidden=hidden.get(rel, frozenset())))
    specs = {n: TaskSpec(n, "classification", tuple(str(i) for i in range(counts[n]))) for n in chosen}
    skipped.sort(key=lambda s: Path(s.path).as_posix())
    return LabelSet(samples, specs, skipped, found=len(rels))


def _read_sidecar(png: Path, wanted: list[str] | None) -> Parsed | str:
    """The sidecar's attributes, or a reason string if it cannot be used."""
    sidecar = png.with_suffix(".csv")
    try:
        text = sidecar.read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"no label file: expected {sidecar.name} beside the image"
    except (OSError, UnicodeDecodeError) as e:
        return f"label file {sidecar.name} cannot be read: {e}"
    attrs: Parsed = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        name = fields[0].strip().strip('"').strip()
        try:
            if len(fields) != 3 or not name or name in attrs:
                raise ValueError
            attrs[name] = (int(fields[1]), int(fields[2]))
        except ValueError:
            if wanted is not None and name and name not in wanted:
                continue  # a broken line for a task nobody asked for does not spoil the image
            why = f"a second line for {name!r}" if name in attrs else repr(line.strip())
            return f"{sidecar.name} line {number}: expected {_LINE_FORMAT}; found {why}"
    return attrs


def _attribute_order(parsed: Iterable[Parsed]) -> list[str]:
    """Attribute names in the order of the first sidecar, then any others in order of first appearance."""
    order: dict[str, None] = {}
    for attrs in parsed:
        order.update(dict.fromkeys(attrs))
    return list(order)


def _majority_count(parsed: Iterable[Parsed], name: str) -> int:
    """The count most files give for ``name`` (ties: the larger count, so every index fits)."""
    votes = Counter(attrs[name][1] for attrs in parsed if name in attrs)
    return max(votes, key=lambda c: (votes[c], c))


def _check_attributes(attrs: Parsed, counts: dict[str, int]) -> str:
    """Why this image cannot be used for the chosen tasks, or '' if it can."""
    for name, count in counts.items():
        if name not in attrs:
            return f"label file has no line for {name!r}"
        index, own = attrs[name]
        if not 0 <= index < own:
            return f"{name!r} index {index} is outside 0..{own - 1} (count {own})"
        if own != count:
            return f"{name!r} has count {own} but most label files say {count}"
    return ""

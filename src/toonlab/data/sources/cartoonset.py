"""The ``cartoonset`` source: CartoonSet 10k/100k (flat or ``0/``..``9/``) and ``toonlab synth`` output.

Each ``X.png`` has a sidecar ``X.csv`` of ``"name", index, count`` lines. Labels that are not
drawn in an image (``hidden.csv``, written by ``toonlab synth``) are read for every source by
``toonlab.data.visibility``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

from toonlab.data.masks import MASK_SUFFIX
from toonlab.data.samples import CLASSIFICATION, REGRESSION, LabelSet, Sample, Skipped, TaskSpec
from toonlab.data.sources.base import (SOURCES, SourceOptions, check_regression, find_files, is_image_name,
                                       select_tasks)

_LINE_FORMAT = '`"name", index, count` (3 comma-separated fields, index and count whole numbers)'

Parsed = dict[str, tuple[int, int]]  # attribute -> (index, count), in file order


@SOURCES.register("cartoonset")
def cartoonset(root: Path, *, tasks: list[str] | None, options: SourceOptions | None = None) -> LabelSet:
    """CartoonSet 10k/100k layout (flat or ``0/``..``9/``) and ``toonlab synth`` output.

    Every ``.png`` is an image; a sidecar is the same name with ``.csv``. Other image files
    (``.jpg`` ...) are reported as skipped because this layout has no labels for them. A task
    named in ``options.regression`` is trained on its index as a number (ordered variants).
    """
    regression = list(options.regression) if options else []
    files = find_files(root)
    rels = [r for r in files if r.lower().endswith(".png") and not r.lower().endswith(MASK_SUFFIX)]
    others = [r for r in files if is_image_name(r) and not r.lower().endswith(".png")]
    parsed: dict[str, Parsed] = {}
    skipped = [Skipped(str(root / r), "not a .png: the cartoonset layout labels only X.png via X.csv") for r in others]
    for rel in rels:
        result = _read_sidecar(root / rel, tasks)
        if isinstance(result, str):
            skipped.append(Skipped(str(root / rel), result))
        else:
            parsed[rel] = result
    # With no readable sidecar at all, report every image as skipped instead of 'unknown task'.
    chosen = select_tasks(_attribute_order(parsed.values()), tasks) if parsed else []
    if parsed:
        check_regression(regression, _attribute_order(parsed.values()), what="attribute")
    counts = {name: _majority_count(parsed.values(), name) for name in chosen}
    samples = []
    for rel, attrs in parsed.items():
        problem = _check_attributes(attrs, counts)
        if problem:
            skipped.append(Skipped(str(root / rel), problem))
        else:
            labels = {name: float(attrs[name][0]) if name in regression else attrs[name][0] for name in chosen}
            samples.append(Sample(root / rel, labels))
    specs = {n: TaskSpec(n, REGRESSION) if n in regression else TaskSpec(n, CLASSIFICATION, _index_names(counts[n]))
             for n in chosen}
    skipped.sort(key=lambda s: Path(s.path).as_posix())
    return LabelSet(samples, specs, skipped, found=len(rels) + len(others),
                    available=tuple(_attribute_order(parsed.values())))


def _index_names(count: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(count))


def _read_sidecar(png: Path, wanted: list[str] | None) -> Parsed | str:
    """The sidecar's attributes, or a reason string if it cannot be used."""
    sidecar = png.with_suffix(".csv")
    try:
        text = sidecar.read_text(encoding="utf-8-sig")  # a BOM (Excel, Notepad) is not part of the first name
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

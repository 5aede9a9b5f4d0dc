"""Raw text labels → samples: the shared last step of the manifest, folders and filename sources.

A source collects one ``Record`` per image (its raw label strings, group key and where it
came from); ``encode_records`` turns them into a ``LabelSet``: classification classes are the
distinct values in natural order, regression values are parsed as numbers, an empty value is
"no label" for that task, and every unusable record becomes a ``Skipped`` with its reason.

Example:
    >>> from pathlib import Path
    >>> recs = [Record(Path("a.png"), {"age": "7", "sex": "f"}), Record(Path("b.png"), {"age": "x", "sex": "m"})]
    >>> ls = encode_records(recs, ["age", "sex"], regression={"age"})
    >>> [s.labels for s in ls.samples], ls.skipped[0].reason
    ([{'age': 7.0, 'sex': 0}], "non-numeric value 'x' for regression task 'age' (expected a number)")
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from toonlab.data.samples import CLASSIFICATION, REGRESSION, LabelSet, Sample, Skipped, TaskSpec


MAX_VALUE = 1e15  # largest regression label: its square and the batch's sum of squares stay finite in float32


@dataclass
class Record:
    """One image's raw labels as a source read them.

    Attributes:
        path: the image file.
        values: task -> raw text ('' or missing = no label for that task).
        group: the group key, or None.
        where: where the labels came from, for messages (e.g. ``"labels.csv line 12"``).
    """

    path: Path
    values: dict[str, str]
    group: str | None = None
    where: str = ""
    hidden: frozenset[str] = field(default_factory=frozenset)


def encode_records(
    records: Iterable[Record],
    tasks: list[str],
    *,
    regression: Iterable[str] = (),
    skipped: list[Skipped] | None = None,
    found: int | None = None,
) -> LabelSet:
    """Encode ``records`` for ``tasks``; ``skipped`` (already found by the source) is extended, not replaced.

    Args:
        records: one per image, in any order (samples come out sorted by path).
        tasks: task names in column order.
        regression: tasks whose values are numbers; the rest are classification.
        skipped: items the source already could not use.
        found: items the source looked at; default ``len(records) + len(skipped)``.
    """
    records = sorted(records, key=lambda r: r.path.as_posix())
    regression = set(regression)
    skipped = list(skipped or [])
    total = len(records) + len(skipped) if found is None else found
    usable: list[tuple[Record, dict[str, float]]] = []
    for rec in records:
        numbers, problem = _numbers(rec, [t for t in tasks if t in regression])
        if not problem and not any(rec.values.get(t, "").strip() for t in tasks):
            problem = f"no label for any of the tasks {', '.join(tasks)}"
        if problem:
            skipped.append(Skipped(str(rec.path), f"{rec.where + ': ' if rec.where else ''}{problem}"))
        else:
            usable.append((rec, numbers))
    specs = {t: _spec(t, [r.values.get(t, "") for r, _ in usable], t in regression) for t in tasks}
    index = {t: {c: i for i, c in enumerate(spec.classes)} for t, spec in specs.items()}
    samples = []
    for rec, numbers in usable:
        labels: dict[str, int | float] = dict(numbers)
        for t in tasks:
            raw = rec.values.get(t, "").strip()
            if t not in regression and raw:
                labels[t] = index[t][raw]
        samples.append(Sample(rec.path, labels, group=rec.group, hidden=rec.hidden))
    skipped.sort(key=lambda s: Path(s.path).as_posix())
    return LabelSet(samples, specs, skipped, found=total)


def natural_key(text: str) -> tuple:
    """Sort key that orders numbers by value: ``"2" < "10"``, ``"p2" < "p10"``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def parse_number(text: str) -> float | None:
    """``text`` as a finite float, or None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numbers(rec: Record, tasks: list[str]) -> tuple[dict[str, float], str]:
    out: dict[str, float] = {}
    for t in tasks:
        raw = rec.values.get(t, "").strip()
        if not raw:
            continue
        value = parse_number(raw)
        if value is None:
            return out, f"non-numeric value {raw!r} for regression task {t!r} (expected a number)"
        if abs(value) > MAX_VALUE:  # labels are float32, and the loss squares them
            return out, f"value {raw[:40]!r} for regression task {t!r} is out of range (expected within ±{MAX_VALUE:g})"
        out[t] = value
    return out, ""


def _spec(name: str, values: list[str], is_regression: bool) -> TaskSpec:
    if is_regression:
        return TaskSpec(name, REGRESSION)
    classes = sorted({v.strip() for v in values if v.strip()}, key=natural_key)
    return TaskSpec(name, CLASSIFICATION, tuple(classes))

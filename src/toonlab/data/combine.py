"""Combined classification tasks: one joint class per combination of several factors (IgNet §4.3).

``--combine group+sex`` adds a task named ``group+sex`` whose classes are the combinations
that occur, named by joining the factor values with ``|`` (``"p3|w"``). An image missing
any factor has no label for the combined task. Factors may be classification tasks or
regression tasks (their values then act as categories, as IgNet does with age).

Example:
    >>> parse_combined(["a+b"])
    {'a+b': ('a', 'b')}
"""

from __future__ import annotations

from dataclasses import replace

from toonlab.data.encode import natural_key
from toonlab.data.samples import CLASSIFICATION, LabelSet, TaskSpec
from toonlab.errors import DataError

SEPARATOR = "|"


def parse_combined(specs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["a+b", "a+c+d"]`` -> ``{"a+b": ("a", "b"), ...}``; DataError for fewer than two factors."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        factors = tuple(f.strip() for f in spec.split("+"))
        if len(factors) < 2 or not all(factors) or len(set(factors)) != len(factors):
            raise DataError(f"A combined task (--combine, data.combine) joins two or more different tasks with '+', "
                            f"e.g. 'age_group+sex'. Received: {spec!r}")
        out["+".join(factors)] = factors
    return out


def add_combined(labels: LabelSet, combos: dict[str, tuple[str, ...]]) -> LabelSet:
    """``labels`` with one more classification task per entry of ``combos``."""
    if not combos:
        return labels
    tasks, samples = dict(labels.tasks), labels.samples
    for name, factors in combos.items():
        missing = [f for f in factors if f not in tasks]
        if missing:
            raise DataError(f"Combined task {name!r} needs task(s) {', '.join(missing)}, which this data does not "
                            f"have. Tasks: {', '.join(labels.tasks)}.")
        texts = [_joint(labels.tasks, s.labels, factors) for s in samples]
        classes = tuple(sorted({t for t in texts if t is not None}, key=natural_key))
        index = {c: i for i, c in enumerate(classes)}
        samples = [s if t is None else replace(s, labels={**s.labels, name: index[t]}) for s, t in zip(samples, texts)]
        tasks[name] = TaskSpec(name, CLASSIFICATION, classes, factors=factors)
    return LabelSet(samples, tasks, labels.skipped, labels.found)


def _joint(specs: dict[str, TaskSpec], labels: dict, factors: tuple[str, ...]) -> str | None:
    parts = []
    for f in factors:
        if f not in labels:
            return None
        value, spec = labels[f], specs[f]
        parts.append(spec.classes[int(value)] if spec.classes else f"{float(value):g}")
    return SEPARATOR.join(parts)

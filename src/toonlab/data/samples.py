"""The records every label source produces: samples, task specs and skipped items."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CLASSIFICATION = "classification"
REGRESSION = "regression"
KINDS = (CLASSIFICATION, REGRESSION)


@dataclass(frozen=True)
class TaskSpec:
    """One prediction task (an attribute).

    Attributes:
        name: the task name, e.g. ``"hair_color"``.
        kind: ``"classification"`` (a class index per image) or ``"regression"`` (a number per image).
        classes: class names in index order; ``len(classes)`` is the head's width (classification only).
        factors: for a combined task, the tasks whose joint value is the class (class names are the
            factor values joined by ``|``); empty otherwise.
        center, scale: regression only: the head predicts ``center + scale * z`` and the loss compares
            in units of ``scale``; training sets them to the training split's mean and standard deviation.
    """

    name: str
    kind: str = CLASSIFICATION
    classes: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    center: float = 0.0
    scale: float = 1.0

    @property
    def is_regression(self) -> bool:
        return self.kind == REGRESSION

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        path: the image file.
        labels: task name -> class index (classification) or value (regression); a task
            missing from the dict has no label for this image (ignored by the loss and metrics).
        group: a grouping key (images of one group never straddle splits), or None.
        hidden: tasks whose label is not drawn in this image (e.g. glasses colour when there
            are no glasses), from the visibility table (``toonlab.data.visibility``); evaluation
            reports the accuracy where drawn too.
    """

    path: Path
    labels: dict[str, int | float]
    group: str | None = None
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Skipped:
    """A file or row that could not be used, and why (shown to the user, written to skipped.csv)."""

    path: str
    reason: str


@dataclass
class LabelSet:
    """What a label source returns: usable samples, the tasks, and everything it skipped.

    ``available`` names every task the source could have read (before ``--tasks`` chose some);
    empty means the tasks themselves. ``source`` is the source that read them and ``layout`` the
    detected layout's one-line description (``""`` when the source was named), both set by ``load_labels``.
    """

    samples: list[Sample]
    tasks: dict[str, TaskSpec]
    skipped: list[Skipped] = field(default_factory=list)
    found: int = 0  # items the source looked at; found == len(samples) + len(skipped)
    available: tuple[str, ...] = ()
    source: str = ""
    layout: str = ""


def printable(text: str | Path) -> str:
    """``text`` (a path read from disk) as text that can be printed and written as UTF-8: bytes of the name that
    are not UTF-8 become ``\\xNN``.

    Example:
        >>> printable(os.fsdecode(b"caf\\xe9.png"))
        'caf\\\\xe9.png'
    """
    return os.fsencode(str(text)).decode("utf-8", "backslashreplace")

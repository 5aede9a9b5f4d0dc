"""The records every label source produces: samples, task specs and skipped items."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TaskSpec:
    """One prediction task (an attribute).

    Attributes:
        name: the task name, e.g. ``"hair_color"``.
        kind: ``"classification"`` (the only kind in the spine; regression comes later).
        classes: class names in index order; ``len(classes)`` is the head's width.
    """

    name: str
    kind: str = "classification"
    classes: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        path: the image file.
        labels: task name -> class index.
        group: a grouping key (images of one group never straddle splits), or None.
        hidden: tasks whose label cannot be seen in this image (e.g. glasses colour
            when there are no glasses); evaluation reports visible-only accuracy too.
    """

    path: Path
    labels: dict[str, int]
    group: str | None = None
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Skipped:
    """A file or row that could not be used, and why (shown to the user, written to skipped.csv)."""

    path: str
    reason: str


@dataclass
class LabelSet:
    """What a label source returns: usable samples, the tasks, and everything it skipped."""

    samples: list[Sample]
    tasks: dict[str, TaskSpec]
    skipped: list[Skipped] = field(default_factory=list)
    found: int = 0  # items the source looked at; found == len(samples) + len(skipped)

"""What a task needs before a network can learn it: labelled images of at least two classes.

A classification task whose images all share one label has nothing to learn; trained anyway it
reports a meaningless 100 % test accuracy. Training refuses it while preparing the data, before
anything is written, and says how to go on.

Example:
    >>> import numpy as np
    >>> from toonlab.data.samples import TaskSpec
    >>> check_trainable({"hair": TaskSpec("hair", classes=("short", "long"))}, np.array([[0.], [1.]]))
"""

from __future__ import annotations

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.errors import DataError


def check_trainable(tasks: dict[str, TaskSpec], labels: np.ndarray) -> None:
    """Refuse a classification task with fewer than two classes among its labelled images.

    Args:
        tasks: the task specs, in the column order of ``labels``.
        labels: (N, T) class indices (NaN = no label) of the images to train on.

    Raises:
        DataError: naming the task, its one class and how many images carry it, and how to go on.
    """
    for j, (name, spec) in enumerate(tasks.items()):
        if spec.is_regression:
            continue
        y = labels[:, j]
        present = np.unique(y[~np.isnan(y)]).astype(np.int64)
        if len(present) < 2:
            raise DataError(_message(name, spec, present, labels[:, j], list(tasks)))


def _message(name: str, spec: TaskSpec, present: np.ndarray, y: np.ndarray, names: list[str]) -> str:
    others = [n for n in names if n != name]
    fix = (f"Leave it out with --tasks {','.join(others)} (data.tasks in YAML), or add images of other classes "
           "to the data folder." if others else "Add images of other classes to the data folder (it is the only task).")
    if len(present) == 0:
        what = f"Task {name!r} has no labelled image among the {len(y)} usable ones, so there is nothing to learn."
        received = "no labels"
    else:
        label = spec.classes[present[0]] if present[0] < len(spec.classes) else str(present[0])
        count = int((y == present[0]).sum())
        what = (f"Task {name!r} has a single class: all {count} labelled images are {label!r}, so there is nothing "
                f"to learn and its test accuracy would be a meaningless 100 %.")
        received = f"{name}: {{{label!r}: {count}}}"
    return f"{what} {fix} Received: {received}"

"""Seeded, optionally stratified train/val/test splits, saved with each run as ``file,split`` CSV.

Splitting is systematic sampling over a seeded order: images are grouped by class
(classes shuffled inside), then every ``1/fraction``-th image from a random start
goes to test, and likewise for val among the rest. Overall sizes hit the rounded
fractions exactly and every class lands in each split in proportion, within one image.
Classes with fewer members than there are non-empty splits cannot be represented in
every split; they are pooled, shuffled together and assigned at random instead.

Example:
    >>> s = make_splits(10, seed=0, val_fraction=0.2, test_fraction=0.2)
    >>> [len(s[k]) for k in ("train", "val", "test")]
    [6, 2, 2]
"""

from __future__ import annotations

import csv
import difflib
import os
from pathlib import Path

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.errors import DataError

SPLITS = ("train", "val", "test")


def make_splits(
    n: int, *, seed: int, val_fraction: float, test_fraction: float, stratify: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Split ``range(n)`` into sorted, disjoint int64 index arrays ``{"train", "val", "test"}``.

    Args:
        n: number of samples (>= 1).
        seed: the same seed gives the same split.
        val_fraction: share for validation, in [0, 1).
        test_fraction: share for test, in [0, 1); the two sum to less than 1.
        stratify: optional length-``n`` label array to keep class proportions per split.

    Raises:
        DataError: a fraction is out of range, ``n`` < 1 or ``stratify`` has the wrong length.
    """
    n_val, n_test = split_sizes(n, val_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    order = _stratified_order(n, stratify, n_val, n_test, rng)
    is_test = _every_kth(len(order), n_test, rng)
    rest = order[~is_test]
    is_val = _every_kth(len(rest), n_val, rng)
    parts = {"train": rest[~is_val], "val": rest[is_val], "test": order[is_test]}
    return {k: np.sort(v).astype(np.int64) for k, v in parts.items()}


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """``(n_val, n_test)``: rounded fractions, at least 1 where the fraction is > 0, leaving train >= 1."""
    _check_fractions(val_fraction, test_fraction)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"There are no samples to split; need at least 1 image. Received: n={n!r}")
    n_val, n_test = (max(int(n * f + 0.5), 1 if f > 0 else 0) for f in (val_fraction, test_fraction))
    while n_val + n_test > n - 1:  # only for tiny n: shrink the larger held-out split (val on ties)
        if n_val >= n_test:
            n_val -= 1
        else:
            n_test -= 1
    return n_val, n_test


def choose_stratify_task(tasks: dict[str, TaskSpec], stratify: str) -> str | None:
    """The task to stratify by: ``"auto"`` = fewest classes (first on ties), ``"none"`` = None, or a named task."""
    if stratify == "none":
        return None
    if stratify == "auto":
        classified = [t for t in tasks.values() if t.kind == "classification"]
        return min(classified, key=lambda t: t.num_classes).name if classified else None
    if stratify in tasks:
        return stratify
    close = difflib.get_close_matches(stratify, list(tasks), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"stratify (data.stratify) must be 'auto', 'none' or a task name.{hint} "
        f"Valid tasks: {', '.join(tasks) or '(none)'}. Received: stratify={stratify!r}"
    )


def save_splits(path: Path, rel_paths: list[str], splits: dict[str, np.ndarray]) -> None:
    """Write ``file,split`` rows, one per sample in ``rel_paths`` order (atomically)."""
    names = np.full(len(rel_paths), "", dtype=object)
    for split, idx in splits.items():
        names[idx] = split
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "split"])
        writer.writerows(zip(rel_paths, names))
    os.replace(tmp, path)


class SplitMismatch(DataError):
    """The saved split names other files than the data now holds (changed data, or another folder)."""


def load_splits(path: Path, rel_paths: list[str]) -> dict[str, np.ndarray]:
    """Read a split file back as index arrays into ``rel_paths``; SplitMismatch if the samples no longer match."""
    stored = _read_split_csv(Path(path))
    missing = [p for p in rel_paths if p not in stored]
    known = set(rel_paths)
    gone = [p for p in stored if p not in known]
    if missing or gone:
        raise SplitMismatch(
            f"The data changed since the run was made: {len(gone)} file(s) in {str(path)!r} are no longer in the data"
            f"{_examples(gone)} and {len(missing)} file(s) in the data are not in it{_examples(missing)}. "
            "Use the same data folder and options as the run, or start a new run."
        )
    labels = np.array([stored[p] for p in rel_paths], dtype=object)
    return {s: np.flatnonzero(labels == s).astype(np.int64) for s in SPLITS}


def _read_split_csv(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DataError(f"Split file {str(path)!r} does not exist; the run folder is incomplete.")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ["file", "split"]:
        raise DataError(f"Split file {str(path)!r} must start with the header 'file,split'.")
    stored = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or row[1] not in SPLITS:
            raise DataError(f"Split file {str(path)!r} line {number}: expected 'file,train|val|test'. Received: {row!r}")
        stored[row[0]] = row[1]
    return stored


def _examples(items: list[str]) -> str:
    return f" (e.g. {', '.join(items[:3])})" if items else ""


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
            raise DataError(f"{name} (data.{name}) must be a number in [0, 1). Received: {name}={value!r}")
    if val_fraction + test_fraction >= 1:
        raise DataError(
            "val_fraction + test_fraction (data.val_fraction, data.test_fraction) must be below 1 so that "
            f"some images are left to train on. Received: {val_fraction} + {test_fraction}"
        )


def _stratified_order(n: int, labels: np.ndarray | None, n_val: int, n_test: int, rng) -> np.ndarray:
    """Indices grouped by class, each class shuffled; too-small classes pooled and shuffled at the end."""
    if labels is None:
        return rng.permutation(n)
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise DataError(f"stratify labels must have one entry per sample ({n}). Received shape {labels.shape}")
    needed = 1 + (n_val > 0) + (n_test > 0)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    blocks = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(classes)) if counts[c] >= needed]
    small = np.flatnonzero(counts[inverse] < needed)
    return np.concatenate(blocks + [rng.permutation(small)]).astype(np.int64)


def _every_kth(length: int, count: int, rng) -> np.ndarray:
    """A mask with exactly ``count`` True entries spread evenly over ``length`` from a random phase."""
    if length == 0:
        return np.zeros(0, dtype=bool)
    ticks = (np.arange(length + 1, dtype=np.int64) * count + int(rng.integers(length))) // length
    return np.diff(ticks) > 0

"""Seeded, optionally stratified train/val/test splits, saved with each run as ``file,split`` CSV.

Splitting is systematic sampling over a seeded order: images are grouped by class
(classes shuffled inside), then every ``1/fraction``-th image from a random start
goes to test, and likewise for val among the rest. Overall sizes hit the rounded
fractions exactly and every class lands in each split in proportion, within one image.
Classes with fewer members than there are non-empty splits cannot be represented in
every split; they are pooled, shuffled together and assigned at random instead.

With ``groups`` (e.g. one key per subject), whole groups are dealt out instead:
groups are put in a seeded order, grouped by their majority class, and each goes to
the split that is furthest behind its image target (a largest-deficit greedy), so no
group straddles two splits and sizes come close to the fractions. ``make_folds``
deals images or groups into k cross-validation folds the same way.

Example:
    >>> s = make_splits(10, seed=0, val_fraction=0.2, test_fraction=0.2)
    >>> [len(s[k]) for k in ("train", "val", "test")]
    [6, 2, 2]
"""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

import numpy as np

from toonlab.atomic import replacing
from toonlab.data.samples import TaskSpec
from toonlab.errors import DataError

SPLITS = ("train", "val", "test")


def make_splits(
    n: int,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Split ``range(n)`` into sorted, disjoint int64 index arrays ``{"train", "val", "test"}``.

    Args:
        n: number of samples (>= 1).
        seed: the same seed gives the same split.
        val_fraction: share for validation, in [0, 1).
        test_fraction: share for test, in [0, 1); the two sum to less than 1.
        stratify: optional length-``n`` label array to keep class proportions per split; NaN or None
            entries form one stratum of their own.
        groups: optional length-``n`` group keys (str or int); all samples of a group land in the same
            split. None, "" or NaN entries are groups of their own. Sizes then approximate the fractions.

    Raises:
        DataError: a fraction is out of range, ``n`` < 1 or ``stratify``/``groups`` has the wrong length.

    Example:
        >>> s = make_splits(6, seed=0, val_fraction=0.2, test_fraction=0.2, groups=["a", "a", "b", "b", "c", "d"])
        >>> sorted(len(set(np.array(list("aabbcd"))[v])) for v in s.values())
        [1, 1, 2]
    """
    n_val, n_test = split_sizes(n, val_fraction, test_fraction)
    codes, gid = _strata(stratify, n), group_ids(groups, n)
    parts = _split(n, codes, gid, n_val, n_test, np.random.default_rng(seed))
    return {k: np.sort(v).astype(np.int64) for k, v in zip(SPLITS, parts)}


def subset_rows(
    n: int,
    amount: int | float,
    *,
    seed: int,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """A seeded sample of ``range(n)``: ``amount`` rows (int) or that share of them (float in (0, 1]),
    stratified and grouped like :func:`make_splits` (whole groups, so the size is approximate with groups).

    Example:
        >>> len(subset_rows(10, 4, seed=0)), len(subset_rows(10, 0.5, seed=0)), len(subset_rows(10, 20, seed=0))
        (4, 5, 10)
    """
    is_count = isinstance(amount, (int, np.integer)) and not isinstance(amount, bool)
    if not (is_count and amount > 0) and not (isinstance(amount, float) and 0 < amount <= 1):
        raise DataError(f"subset (data.subset) must be an image count > 0 or a fraction in (0, 1]. "
                        f"Received: subset={amount!r}")
    size = int(amount) if is_count else int(amount * n + 0.5)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    parts = make_splits(n, seed=seed, val_fraction=0.0, test_fraction=1 - max(size, 1) / n, stratify=stratify,
                        groups=groups)
    return parts["train"]


def make_folds(
    n: int,
    *,
    k: int,
    seed: int,
    val_fraction: float,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> list[dict[str, np.ndarray]]:
    """k-fold cross-validation: fold ``i`` tests on the i-th fold and carves val from the rest.

    Every sample is in exactly one ``test`` fold. Without groups the folds differ in size by at most one
    image (and by at most one image per class when stratified); with groups, whole groups are dealt out.
    ``val`` is ``val_fraction`` of the non-test samples (rounded as in ``split_sizes``), stratified and
    group-respecting like ``make_splits``; ``train`` is what is left.

    Args:
        n: number of samples.
        k: number of folds, from 2 to the number of samples (or of groups).
        seed: the same seed gives the same folds.
        val_fraction: share of each fold's non-test samples used for validation, in [0, 1).
        stratify: optional length-``n`` labels to keep class proportions per fold (NaN = own stratum).
        groups: optional length-``n`` group keys; a group never straddles folds or splits.

    Returns:
        ``k`` dicts of sorted int64 index arrays ``{"train", "val", "test"}``.

    Raises:
        DataError: ``k`` is out of range, or a fraction, ``stratify`` or ``groups`` is invalid.

    Example:
        >>> folds = make_folds(10, k=5, seed=0, val_fraction=0.25)
        >>> [len(f["test"]) for f in folds], [len(f["val"]) for f in folds]
        ([2, 2, 2, 2, 2], [2, 2, 2, 2, 2])
    """
    split_sizes(n, val_fraction, 0.0)
    codes, gid = _strata(stratify, n), group_ids(groups, n)
    _check_folds(k, n if gid is None else int(gid.max()) + 1, gid is not None)
    rng = np.random.default_rng(seed)
    fold_of = _deal_folds(n, codes, gid, k, rng)
    return [_fold(fold_of == i, codes, gid, val_fraction, rng) for i in range(k)]


def group_ids(groups: np.ndarray | None, n: int) -> np.ndarray | None:
    """Dense int64 group ids numbered by first appearance; None, "" and NaN entries are groups of their own.

    Args:
        groups: length-``n`` keys (strings, ints, or None), or None for "no groups".
        n: number of samples.

    Example:
        >>> group_ids(np.array(["a", "", "a", "b"]), 4)
        array([0, 1, 0, 2])
    """
    if groups is None:
        return None
    keys = np.asarray(groups)
    if keys.shape != (n,):
        raise DataError(f"group keys (data.group) must have one entry per sample ({n}). Received shape {keys.shape}")
    present = np.flatnonzero(~_missing_mask(keys, blank=True))
    first = np.arange(n)  # each sample's group is named by the first row holding its key
    if keys.dtype.kind == "O":
        table: dict = {}
        first[present] = [table.setdefault(key, i) for i, key in zip(present.tolist(), keys[present].tolist())]
    elif len(present):
        _, index, inverse = np.unique(keys[present], return_index=True, return_inverse=True)
        first[present] = present[index[inverse.ravel()]]
    return np.unique(first, return_inverse=True)[1].astype(np.int64)


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
    with replacing(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "split"])
        writer.writerows(zip(rel_paths, names))


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


def _check_folds(k: int, count: int, grouped: bool) -> None:
    what = "groups" if grouped else "images"
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 2 <= k <= count:
        raise DataError(
            f"folds (--folds, data.folds) must be a whole number from 2 to the number of {what} ({count}) "
            f"for k-fold cross-validation; use 0 for a single train/val/test split. Received: folds={k!r}"
        )


def _missing_mask(values: np.ndarray, *, blank: bool) -> np.ndarray:
    """True for NaN and None entries (and for "" when ``blank``)."""
    kind = values.dtype.kind
    if kind == "f":
        return np.isnan(values)
    if kind in "US":
        return values == "" if blank else np.zeros(len(values), dtype=bool)
    if kind == "O":
        return np.array([v is None or v != v or (blank and v == "") for v in values.tolist()], dtype=bool)
    return np.zeros(len(values), dtype=bool)


def _strata(labels: np.ndarray | None, n: int) -> np.ndarray | None:
    """Stratum code per sample (classes in sorted order, then one stratum for all NaN/None entries)."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise DataError(f"stratify labels must have one entry per sample ({n}). Received shape {labels.shape}")
    missing = _missing_mask(labels, blank=False)
    classes, inverse = np.unique(labels[~missing], return_inverse=True)
    codes = np.full(n, len(classes), dtype=np.int64)
    codes[~missing] = inverse.ravel()
    return codes


def _split(n: int, codes, gid, n_val: int, n_test: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, val, test) indices: systematic sampling without groups, the group greedy with them."""
    if gid is not None:
        bins = _deal_groups(codes, gid, (n - n_val - n_test, n_val, n_test), rng)
        return tuple(np.flatnonzero(bins == b) for b in range(3))
    order = _stratified_order(n, codes, 1 + (n_val > 0) + (n_test > 0), rng)
    is_test = _every_kth(len(order), n_test, rng)
    rest = order[~is_test]
    is_val = _every_kth(len(rest), n_val, rng)
    return rest[~is_val], rest[is_val], order[is_test]


def _deal_folds(n: int, codes, gid, k: int, rng) -> np.ndarray:
    """Fold number per sample: round-robin over the stratified order, or the group greedy."""
    if gid is not None:
        return _deal_groups(codes, gid, (1,) * k, rng)
    order = _stratified_order(n, codes, k, rng)
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = (np.arange(n) + int(rng.integers(k))) % k
    return fold_of


def _fold(is_test: np.ndarray, codes, gid, val_fraction: float, rng) -> dict[str, np.ndarray]:
    rest = np.flatnonzero(~is_test)
    n_val, _ = split_sizes(len(rest), val_fraction, 0.0)
    subset = (None if a is None else a[rest] for a in (codes, gid))
    train, val, _ = _split(len(rest), *subset, n_val, 0, rng)
    return {"train": rest[np.sort(train)], "val": rest[np.sort(val)], "test": np.flatnonzero(is_test)}


def _deal_groups(codes, gid, weights: tuple[int, ...], rng) -> np.ndarray:
    """Bin per sample: whole groups dealt to bins in proportion to the integer ``weights``."""
    _, gid = np.unique(gid, return_inverse=True)  # dense ids, also for subsets
    sizes = np.bincount(gid)
    group_codes = None if codes is None else _majority(gid, codes)
    order = _stratified_order(len(sizes), group_codes, sum(w > 0 for w in weights), rng)
    bins = _greedy_bins(sizes[order], weights, rng.permutation(len(weights)).tolist())
    _fill_empty_bins(bins, sizes[order], weights)
    group_bin = np.empty(len(sizes), dtype=np.int64)
    group_bin[order] = bins
    return group_bin[gid]


def _majority(gid: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each group's most common stratum (the lowest code on ties)."""
    n_codes = int(codes.max()) + 1
    pairs, counts = np.unique(gid * n_codes + codes, return_counts=True)
    group, code = pairs // n_codes, pairs % n_codes
    best = np.lexsort((code, -counts, group))
    first = best[np.r_[True, np.diff(group[best]) != 0]]
    majority = np.empty(int(group.max()) + 1, dtype=np.int64)
    majority[group[first]] = code[first]
    return majority


def _greedy_bins(sizes: np.ndarray, weights: tuple[int, ...], priority: list[int]) -> np.ndarray:
    """Largest deficit first: each group goes to the bin furthest below ``weight/sum * images seen``.

    Integer arithmetic keeps ties exact; they go to the bin with the higher (seeded) ``priority``.
    For unit sizes every bin stays within one sample of its share at every step.
    """
    total, loads, seen, bins = sum(weights), [0] * len(weights), 0, []
    for size in sizes.tolist():
        seen += size
        b = max(range(len(weights)), key=lambda j: (weights[j] * seen - total * loads[j], priority[j]))
        loads[b] += size
        bins.append(b)
    return np.array(bins, dtype=np.int64)


def _fill_empty_bins(bins: np.ndarray, sizes: np.ndarray, weights: tuple[int, ...]) -> None:
    """Give each empty bin with a positive weight (largest weight first) the smallest group of the fullest bin."""
    counts = np.bincount(bins, minlength=len(weights))
    for b in sorted(range(len(weights)), key=lambda j: -weights[j]):
        donor = int(np.argmax(counts))
        if weights[b] == 0 or counts[b] > 0 or counts[donor] < 2:
            continue
        members = np.flatnonzero(bins == donor)
        bins[members[np.argmin(sizes[members])]] = b
        counts[donor] -= 1
        counts[b] += 1


def _stratified_order(n: int, codes: np.ndarray | None, needed: int, rng) -> np.ndarray:
    """Indices grouped by stratum, each shuffled; strata with fewer than ``needed`` members pooled at the end."""
    if codes is None:
        return rng.permutation(n)
    counts = np.bincount(codes)
    blocks = [rng.permutation(np.flatnonzero(codes == c)) for c in range(len(counts)) if counts[c] >= needed]
    small = np.flatnonzero(counts[codes] < needed)
    return np.concatenate(blocks + [rng.permutation(small)]).astype(np.int64)


def _every_kth(length: int, count: int, rng) -> np.ndarray:
    """A mask with exactly ``count`` True entries spread evenly over ``length`` from a random phase."""
    if length == 0:
        return np.zeros(0, dtype=bool)
    ticks = (np.arange(length + 1, dtype=np.int64) * count + int(rng.integers(length))) // length
    return np.diff(ticks) > 0

"""Seeded train/val/test splits, stratification, the auto stratify task and the saved split file."""

from __future__ import annotations

import numpy as np
import pytest

from toonlab.data.samples import TaskSpec
from toonlab.data.splits import (
    choose_stratify_task,
    group_ids,
    load_splits,
    make_folds,
    make_splits,
    save_splits,
    split_sizes,
)
from toonlab.errors import DataError


def check_partition(splits: dict, n: int) -> None:
    assert list(splits) == ["train", "val", "test"]
    for idx in splits.values():
        assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    assert np.array_equal(np.sort(np.concatenate(list(splits.values()))), np.arange(n))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 101])
def test_disjoint_covering_and_sizes(n):
    splits = make_splits(n, seed=3, val_fraction=0.1, test_fraction=0.2)
    check_partition(splits, n)
    assert len(splits["train"]) >= 1
    if n >= 3:
        assert len(splits["val"]) >= 1 and len(splits["test"]) >= 1
    if n == 101:
        assert (len(splits["val"]), len(splits["test"])) == (10, 20)


def test_same_seed_same_split_other_seed_differs():
    a = make_splits(50, seed=7, val_fraction=0.2, test_fraction=0.2)
    b = make_splits(50, seed=7, val_fraction=0.2, test_fraction=0.2)
    c = make_splits(50, seed=8, val_fraction=0.2, test_fraction=0.2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])


def test_stratification_keeps_class_proportions():
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.array([0] * 140 + [1] * 50 + [2] * 10))
    splits = make_splits(200, seed=1, val_fraction=0.1, test_fraction=0.2, stratify=labels)
    check_partition(splits, 200)
    for name, share in (("train", 0.7), ("val", 0.1), ("test", 0.2)):
        counts = np.bincount(labels[splits[name]], minlength=3)
        assert np.all(np.abs(counts - share * np.array([140, 50, 10])) <= 1), (name, counts)


def test_rare_classes_fall_back_to_random_assignment():
    labels = np.array(["a"] * 20 + ["rare1", "rare2"])
    splits = make_splits(22, seed=0, val_fraction=0.25, test_fraction=0.25, stratify=labels)
    check_partition(splits, 22)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [10, 6, 6]


@pytest.mark.parametrize(
    "val, test, option",
    [(-0.1, 0.2, "val_fraction"), (0.1, 1.0, "test_fraction"), (0.5, 0.5, "below 1"), ("x", 0.1, "val_fraction")],
)
def test_bad_fractions(val, test, option):
    with pytest.raises(DataError, match=option):
        make_splits(10, seed=0, val_fraction=val, test_fraction=test)


def test_stratify_labels_wrong_length():
    with pytest.raises(DataError, match="one entry per sample"):
        make_splits(10, seed=0, val_fraction=0.1, test_fraction=0.1, stratify=np.zeros(9))


def test_choose_stratify_task():
    tasks = {n: TaskSpec(n, classes=tuple("x" * k)) for n, k in [("hair", 111), ("lashes", 2), ("lid", 2)]}
    assert choose_stratify_task(tasks, "auto") == "lashes"
    assert choose_stratify_task(tasks, "none") is None
    assert choose_stratify_task(tasks, "hair") == "hair"
    with pytest.raises(DataError, match=r"Did you mean 'hair'.*hair, lashes, lid"):
        choose_stratify_task(tasks, "hiar")


def test_save_load_round_trip_and_mismatch(tmp_path):
    rel = [f"{i % 3}/cs{i}.png" for i in range(12)]
    splits = make_splits(12, seed=0, val_fraction=0.2, test_fraction=0.2)
    path = tmp_path / "splits.csv"
    save_splits(path, rel, splits)
    assert path.read_text().splitlines()[0] == "file,split"
    loaded = load_splits(path, rel)
    assert all(np.array_equal(loaded[k], splits[k]) for k in splits)
    shuffled = rel[::-1]
    assert set(np.array(shuffled)[load_splits(path, shuffled)["test"]]) == set(np.array(rel)[splits["test"]])
    with pytest.raises(DataError, match="data changed since the run was made.*0/cs99.png"):
        load_splits(path, rel[:-1] + ["0/cs99.png"])


# --- groups -----------------------------------------------------------------------------------------------


def group_of(splits: dict, groups: np.ndarray) -> dict:
    """Split name -> set of group keys in it."""
    return {k: set(groups[v].tolist()) for k, v in splits.items()}


def random_groups(rng, n: int, n_groups: int) -> np.ndarray:
    """Groups of uneven sizes (a few large, many small), as string keys."""
    sizes = rng.zipf(1.8, n_groups)
    keys = rng.choice(n_groups, size=n, p=sizes / sizes.sum())
    return np.array([f"g{k}" for k in keys])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("val, test", [(0.1, 0.2), (0.2, 0.2), (0.0, 0.3), (0.15, 0.0)])
def test_groups_never_straddle_splits(seed, val, test):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 300))
    groups = random_groups(rng, n, int(rng.integers(8, 60)))
    splits = make_splits(n, seed=seed, val_fraction=val, test_fraction=test, groups=groups)
    check_partition(splits, n)
    seen = group_of(splits, groups)
    assert not (seen["train"] & seen["val"] or seen["train"] & seen["test"] or seen["val"] & seen["test"])
    biggest = np.unique(groups, return_counts=True)[1].max()
    for name, share in (("val", val), ("test", test)):
        assert abs(len(splits[name]) - share * n) <= biggest + 1, (name, len(splits[name]), share * n, biggest)
        assert (len(splits[name]) > 0) == (share > 0)


def test_unit_groups_hit_the_rounded_sizes():
    splits = make_splits(101, seed=2, val_fraction=0.1, test_fraction=0.2, groups=np.arange(101))
    check_partition(splits, 101)
    assert [len(splits[k]) for k in ("val", "test")] == [10, 20]


def test_groups_same_seed_same_split_and_blank_keys_are_singletons():
    groups = np.array(["a", "a", "", "", None, "b", "b", "b", "c", "d", "e", "f"] * 5, dtype=object)
    groups[::7] = [f"x{i}" for i in range(len(groups[::7]))]
    a = make_splits(60, seed=4, val_fraction=0.2, test_fraction=0.2, groups=groups)
    b = make_splits(60, seed=4, val_fraction=0.2, test_fraction=0.2, groups=groups)
    c = make_splits(60, seed=5, val_fraction=0.2, test_fraction=0.2, groups=groups)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)
    blank = np.flatnonzero([g in ("", None) for g in groups])
    where = {i: k for k, v in a.items() for i in v}
    assert len({where[i] for i in blank}) == 3  # blanks are not one big group


def test_few_large_groups_still_fill_every_split():
    groups = np.repeat(["a", "b", "c", "d"], [40, 30, 20, 10])
    splits = make_splits(100, seed=0, val_fraction=0.1, test_fraction=0.2, groups=groups)
    assert all(len(v) > 0 for v in splits.values())
    assert len(make_splits(10, seed=0, val_fraction=0.1, test_fraction=0.2, groups=[0] * 5 + [1] * 5)["train"]) == 5


def test_grouped_and_stratified_keeps_class_proportions():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 400, 2000)
    group_class = rng.choice(3, size=400, p=[0.6, 0.3, 0.1])
    labels = group_class[groups].astype(np.float32)
    off = rng.random(2000) < 0.02  # a few members off their group's majority class
    labels[off] = (labels[off] + 1) % 3
    splits = make_splits(2000, seed=3, val_fraction=0.1, test_fraction=0.2, stratify=labels, groups=groups)
    seen = group_of(splits, groups)
    assert not (seen["train"] & seen["test"] or seen["val"] & seen["test"] or seen["train"] & seen["val"])
    overall = np.bincount(labels.astype(int), minlength=3) / 2000
    for name in ("train", "val", "test"):
        share = np.bincount(labels[splits[name]].astype(int), minlength=3) / len(splits[name])
        assert np.all(np.abs(share - overall) < 0.03), (name, share, overall)


def test_groups_wrong_length():
    with pytest.raises(DataError, match="data.group.*one entry per sample"):
        make_splits(10, seed=0, val_fraction=0.1, test_fraction=0.1, groups=np.zeros(9))


def test_group_ids_numbers_keys_by_first_appearance():
    keys = np.array(["b", "", "b", "a", np.nan, None, "a"], dtype=object)
    assert group_ids(keys, 7).tolist() == [0, 1, 0, 2, 3, 4, 2]
    assert group_ids(np.array([2.0, np.nan, 2.0, 1.0]), 4).tolist() == [0, 1, 0, 2]
    assert group_ids(None, 3) is None


# --- NaN stratum ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [np.nan, None])
def test_missing_labels_are_one_stratum(missing):
    labels = np.array([0.0] * 60 + [1.0] * 20 + [missing] * 20, dtype=object if missing is None else np.float32)
    labels = labels[np.random.default_rng(1).permutation(100)]
    splits = make_splits(100, seed=0, val_fraction=0.1, test_fraction=0.2, stratify=labels)
    check_partition(splits, 100)
    is_missing = np.array([v is None or v != v for v in labels.tolist()])
    for name, share in (("train", 0.7), ("val", 0.1), ("test", 0.2)):
        assert abs(is_missing[splits[name]].sum() - share * 20) <= 1, name


# --- k-fold -----------------------------------------------------------------------------------------------


def check_folds(folds: list, n: int, k: int) -> None:
    assert len(folds) == k
    for fold in folds:
        check_partition(fold, n)
    tests = np.concatenate([f["test"] for f in folds])
    assert np.array_equal(np.sort(tests), np.arange(n))  # every sample tested exactly once


@pytest.mark.parametrize("n, k", [(2, 2), (10, 3), (101, 5), (37, 10)])
def test_folds_cover_once_and_sizes_differ_by_at_most_one(n, k):
    folds = make_folds(n, k=k, seed=1, val_fraction=0.2)
    check_folds(folds, n, k)
    sizes = [len(f["test"]) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    for fold in folds:
        rest = n - len(fold["test"])
        assert len(fold["val"]) == split_sizes(rest, 0.2, 0.0)[0]


def test_folds_same_seed_same_folds():
    a = make_folds(40, k=4, seed=3, val_fraction=0.1)
    b = make_folds(40, k=4, seed=3, val_fraction=0.1)
    c = make_folds(40, k=4, seed=4, val_fraction=0.1)
    assert all(np.array_equal(x[s], y[s]) for x, y in zip(a, b) for s in x)
    assert not all(np.array_equal(x["test"], y["test"]) for x, y in zip(a, c))


def test_stratified_folds_keep_class_proportions():
    labels = np.random.default_rng(0).permutation(np.array([0] * 53 + [1] * 31 + [2] * 16 + [3] * 3))
    folds = make_folds(103, k=5, seed=2, val_fraction=0.1, stratify=labels)
    check_folds(folds, 103, 5)
    for fold in folds:
        counts = np.bincount(labels[fold["test"]], minlength=4)[:3]
        assert np.all(np.abs(counts - np.array([53, 31, 16]) / 5) < 1), counts
        val = np.bincount(labels[fold["val"]], minlength=4)[:3]
        assert np.all(np.abs(val - 0.1 * np.bincount(labels[fold["train"]], minlength=4)[:3]) <= 2), val


@pytest.mark.parametrize("seed", range(5))
def test_grouped_folds_keep_groups_whole(seed):
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, 300, 50)
    labels = rng.integers(0, 3, 300)
    folds = make_folds(300, k=4, seed=seed, val_fraction=0.15, stratify=labels, groups=groups)
    check_folds(folds, 300, 4)
    biggest = np.unique(groups, return_counts=True)[1].max()
    tested = [set(groups[f["test"]].tolist()) for f in folds]
    for i, fold in enumerate(folds):
        assert all(not (tested[i] & tested[j]) for j in range(i))
        seen = group_of(fold, groups)
        assert not (seen["train"] & seen["val"] or seen["train"] & seen["test"] or seen["val"] & seen["test"])
        assert abs(len(fold["test"]) - 75) <= biggest
        assert len(fold["val"]) > 0


@pytest.mark.parametrize(
    "k, groups, match",
    [(1, None, "from 2 to the number of images"), (11, None, r"images \(10\)"), (True, None, "folds=True"),
     (4, [0, 0, 0, 1, 1, 1, 2, 2, 2, 2], r"groups \(3\)"), (2.5, None, "folds=2.5")],
)
def test_bad_folds(k, groups, match):
    with pytest.raises(DataError, match=rf"--folds, data\.folds.*{match}"):
        make_folds(10, k=k, seed=0, val_fraction=0.1, groups=groups)

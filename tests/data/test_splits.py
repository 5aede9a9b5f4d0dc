"""Seeded train/val/test splits, stratification, the auto stratify task and the saved split file."""

from __future__ import annotations

import numpy as np
import pytest

from toonlab.data.samples import TaskSpec
from toonlab.data.splits import choose_stratify_task, load_splits, make_splits, save_splits
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

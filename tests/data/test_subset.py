"""``data.subset``: a seeded, stratified, grouped sample of the data before splitting (sweeps' rounds)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toonlab.cli import main
from toonlab.config import resolve_config
from toonlab.data.dataset import prepare_data
from toonlab.data.splits import subset_rows
from toonlab.errors import DataError
from toonlab.testing import TINY_TRAIN


def test_subset_rows_counts_fractions_and_seed():
    assert len(subset_rows(100, 30, seed=0)) == 30
    assert len(subset_rows(100, 0.25, seed=0)) == 25
    assert np.array_equal(subset_rows(100, 500, seed=0), np.arange(100))
    assert np.array_equal(subset_rows(100, 30, seed=1), subset_rows(100, 30, seed=1))
    assert not np.array_equal(subset_rows(100, 30, seed=1), subset_rows(100, 30, seed=2))


def test_subset_rows_keeps_class_shares_and_whole_groups():
    labels = np.array([0] * 80 + [1] * 20, dtype=float)
    rows = subset_rows(100, 50, seed=0, stratify=labels)
    assert (labels[rows] == 1).sum() == 10
    groups = np.repeat(np.arange(20), 5).astype(object)
    rows = subset_rows(100, 0.5, seed=0, groups=groups)
    members = np.flatnonzero(np.isin(groups, groups[rows]))
    assert np.array_equal(np.sort(rows), members) and 40 <= len(rows) <= 60


@pytest.mark.parametrize("bad", [0.0, 1.5, -3, True])
def test_subset_rows_refuses_bad_amounts(bad):
    with pytest.raises(DataError, match="subset"):
        subset_rows(10, bad, seed=0)


def test_prepare_data_samples_before_splitting(toy_data):
    cfg = resolve_config(overrides=[f"data.path={toy_data}", "data.image_size=16", "data.subset=30"])
    data = prepare_data(cfg.data, seed=0)
    assert len(data.rel_paths) == 30 and data.left_out == 30
    assert data.images.shape[0] == 30 and data.labels.shape[0] == 30
    assert sum(len(v) for v in data.splits.values()) == 30
    again = prepare_data(cfg.data, seed=0)
    assert again.rel_paths == data.rel_paths


def test_train_on_a_fraction_reports_the_left_out_images(toy_data, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(toy_data), "-o", str(run), *TINY_TRAIN, "--data.subset=0.5"]) == 0
    images = json.loads((run / "metrics.json").read_text())["images"]
    assert images == {"found": 60, "used": 30, "skipped": 0, "left_out": 30}
    assert main(["eval", str(run), "-q"]) == 0  # the same sample again, so the saved split matches

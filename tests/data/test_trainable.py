"""A task needs labelled images of two classes or more before training starts."""

import numpy as np
import pytest

from toonlab.config import DataConfig
from toonlab.data.dataset import prepare_data
from toonlab.data.samples import TaskSpec
from toonlab.data.trainable import check_trainable
from toonlab.errors import DataError
from toonlab.testing import make_toy_cartoonset, set_label

TASKS = {"hair": TaskSpec("hair", classes=("short", "long")), "age": TaskSpec("age", "regression"),
         "eyes": TaskSpec("eyes", classes=("blue", "green", "brown"))}


def test_tasks_with_two_classes_and_regression_tasks_pass():
    check_trainable(TASKS, np.array([[0, 5, 2], [1, 5, 2], [np.nan, 5, 0]], dtype=np.float32))


def test_a_one_class_task_is_named_with_its_class_and_the_way_on():
    labels = np.array([[0, 5, 2], [1, 6, 2], [np.nan, 7, np.nan]], dtype=np.float32)  # unlabelled rows don't count
    with pytest.raises(DataError) as e:
        check_trainable(TASKS, labels)
    message = str(e.value)
    assert "'eyes' has a single class" in message and "all 2 labelled images are 'brown'" in message
    assert "--tasks hair,age" in message and "add images of other classes" in message
    assert message.endswith("Received: eyes: {'brown': 2}")


def test_a_task_without_labels_or_the_only_task_says_so():
    only = {"hair": TASKS["hair"]}
    with pytest.raises(DataError, match="no labelled image among the 2 usable.*Add images of other classes"):
        check_trainable(only, np.full((2, 1), np.nan, dtype=np.float32))


def test_prepare_data_refuses_it_only_for_training(tmp_path):
    root = set_label(make_toy_cartoonset(tmp_path / "toy", n=12, size=16), "size", 0)
    cfg = DataConfig(path=str(root), image_size=16)
    assert prepare_data(cfg, seed=0).tasks["size"].num_classes == 2  # eval and check still read it
    with pytest.raises(DataError, match="'size' has a single class.*--tasks color"):
        prepare_data(cfg, seed=0, run_dir=tmp_path / "run", for_training=True)
    assert not (tmp_path / "run").exists()

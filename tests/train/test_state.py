import pytest
import torch

from toonlab.data.samples import TaskSpec
from toonlab.train.state import Meter

TASKS = {"a": TaskSpec("a", classes=("0", "1")), "age": TaskSpec("age", "regression", scale=1.0)}
OUT = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]]), "age": torch.tensor([1.0, 2.0, 4.0])}
PARTS = {"a": torch.tensor(0.5), "age": torch.tensor(2.0)}


def test_fully_labelled_batch_sums_loss_correct_answers_and_absolute_errors():
    meter = Meter(TASKS)
    meter.update(OUT, torch.tensor([[0, 1.0], [1, 2.0], [1, 1.0]]), PARTS)
    logs = meter.logs("train")
    assert logs["train_acc/a"] == pytest.approx(2 / 3) and logs["train_mae/age"] == pytest.approx(1.0)
    assert logs["train_loss/a"] == pytest.approx(0.5) and logs["train_loss"] == pytest.approx(2.5)
    assert meter.count == {"a": 3, "age": 3} and meter.correct == {"a": 2, "age": 3.0}


def test_missing_labels_count_only_the_labelled_images():
    nan = float("nan")
    meter = Meter(TASKS)
    meter.update(OUT, torch.tensor([[0, nan], [nan, 2.0], [0, 1.0]]), PARTS)
    assert meter.count == {"a": 2, "age": 2}
    assert meter.logs("val")["val_acc/a"] == 1.0 and meter.logs("val")["val_mae/age"] == pytest.approx(1.5)


def test_both_paths_add_up_across_batches_and_survive_a_state_round_trip():
    meter = Meter(TASKS)
    meter.update(OUT, torch.tensor([[0, 1.0], [1, 2.0], [1, 1.0]]), PARTS)
    meter.update(OUT, torch.tensor([[0, float("nan")], [1, 2.0], [0, 4.0]]), PARTS)
    again = Meter.from_state(meter.state_dict())
    assert again.logs("train") == meter.logs("train")
    assert again.count == {"a": 6, "age": 5} and again.correct["a"] == 5

"""train.task_balance=loss: per-task loss weights from how far each task's train loss is from knowing nothing."""

import csv
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from toonlab.config import resolve_config
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.train.callbacks.task_balance import MIN_REFERENCE, TaskBalance, reference_losses
from toonlab.inference.checkpoint import load_checkpoint
from toonlab.workflows.train import train

TASKS = {
    "hair": TaskSpec("hair", classes=("a", "b", "c", "d")),
    "glasses": TaskSpec("glasses", classes=("no", "yes")),
    "age": TaskSpec("age", kind="regression", center=30.0, scale=10.0),
}
SMALL = ["data.image_size=24", "model.widths=[8,16]", "model.head_width=32", "train.batch_size=16",
         "train.progress=false", "train.precision=fp32", "train.patience=0"]


def test_the_reference_is_the_entropy_of_the_training_classes():
    labels = np.array([[0, 1, 20.0], [1, 1, 30.0], [2, 1, np.nan], [3, 1, 40.0], [np.nan, 1, 50.0]])
    ref = reference_losses(TASKS, labels)
    assert ref["hair"] == pytest.approx(math.log(4))  # balanced: log K; the unlabelled row is ignored
    assert ref["glasses"] == MIN_REFERENCE  # one class only: nothing to learn, no division by zero
    assert ref["age"] == 1.0  # regression: MSE of the mean, in units of the spread
    skewed = reference_losses({"g": TASKS["glasses"]}, np.array([[0.0], [0.0], [0.0], [1.0]]))
    assert skewed["g"] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


def test_a_lagging_task_weighs_more_and_the_weights_average_one():
    balance = TaskBalance({"hair": 2.0, "glasses": 0.5, "age": 1.0}, power=1.0)
    weights = balance.balance({"hair": 1.8, "glasses": 0.05, "age": 0.5})  # lag 0.9, 0.1, 0.5
    assert weights["hair"] > weights["age"] > weights["glasses"]
    assert sum(weights.values()) / 3 == pytest.approx(1.0)
    assert weights["hair"] / weights["glasses"] == pytest.approx(9.0)
    sharper = TaskBalance({"hair": 2.0, "glasses": 0.5, "age": 1.0}, power=2.0)
    assert sharper.balance({"hair": 1.8, "glasses": 0.05, "age": 0.5})["hair"] > weights["hair"]


def test_loss_weights_multiply_the_balance():
    balance = TaskBalance({"hair": 1.0, "glasses": 1.0}, base={"hair": 3.0})
    assert balance.weights == {"hair": 3.0, "glasses": 1.0}  # the first epoch trains with loss_weights alone
    assert balance.balance({"hair": 0.5, "glasses": 0.5}) == {"hair": 3.0, "glasses": 1.0}


def test_the_callback_sets_the_next_epochs_weights_and_logs_the_ones_used():
    balance = TaskBalance({"hair": 1.0, "glasses": 1.0})
    fit = SimpleNamespace(options=SimpleNamespace(loss_weights={}), epoch=0, stop=False)
    balance.on_train_begin(fit)
    assert fit.options.loss_weights == {"hair": 1.0, "glasses": 1.0}
    logs = {"train_loss/hair": 0.9, "train_loss/glasses": 0.3}
    balance.on_epoch_end(fit, 1, logs)
    assert logs["loss_weight/hair"] == logs["loss_weight/glasses"] == 1.0
    assert fit.options.loss_weights == pytest.approx({"hair": 1.5, "glasses": 0.5})
    balance.on_epoch_end(fit, 2, {"train_loss/hair": math.nan, "train_loss/glasses": 0.3})
    assert fit.options.loss_weights == pytest.approx({"hair": 1.5, "glasses": 0.5})  # a non-finite loss: kept
    resumed = TaskBalance({"hair": 1.0, "glasses": 1.0})
    resumed.load_state_dict(balance.state_dict())
    resumed.on_train_begin(fit := SimpleNamespace(options=SimpleNamespace(loss_weights={}), epoch=2, stop=False))
    assert fit.options.loss_weights == pytest.approx({"hair": 1.5, "glasses": 0.5})


def _cfg(data, *extra):
    return resolve_config(overrides=[f"data.path={data}", *SMALL, *extra])


def test_a_balanced_run_logs_its_weights_and_resumes_with_them(toy_data, tmp_path):
    options = ["train.task_balance=loss", "train.balance_power=2", "train.loss_weights={size: 2}",
               "train.schedule=none"]  # a constant rate: the resumed run goes from 1 to 3 epochs
    train(_cfg(toy_data, "train.epochs=3", *options), tmp_path / "full")
    rows = list(csv.DictReader(open(tmp_path / "full" / "history.csv")))
    first, last = rows[0], rows[-1]
    assert float(first["loss_weight/size"]) == 2.0 and float(first["loss_weight/color"]) == 1.0
    assert float(last["loss_weight/size"]) != 2.0
    state = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.pt")
    assert set(state["callbacks"]["task_balance"]["weights"]) == {"color", "size"}
    train(_cfg(toy_data, "train.epochs=1", *options), tmp_path / "part")
    train(_cfg(toy_data, "train.epochs=3", *options), tmp_path / "part", resume=True)
    part = load_checkpoint(tmp_path / "part" / "checkpoints" / "last.pt")
    for key, value in state["model"].items():
        assert torch.equal(value, part["model"][key]), key


def test_one_task_has_nothing_to_balance(toy_data, tmp_path):
    train(_cfg(toy_data, "train.epochs=1", "train.task_balance=loss", "data.tasks=size"), tmp_path / "one")
    assert "loss_weight/size" not in (tmp_path / "one" / "history.csv").read_text()


@pytest.mark.parametrize("option, message", [("train.task_balance=gradnorm", "train.task_balance must be one of"),
                                             ("train.balance_power=0", "train.balance_power must be a number > 0")])
def test_bad_balance_options_are_named(toy_data, tmp_path, option, message):
    with pytest.raises(ToonlabError, match=message):
        train(_cfg(toy_data, "train.epochs=1", option), tmp_path / "bad")

"""A finite loss that runs away is rolled back like a NaN, then stops with a clear error; normal runs never trip."""

import logging
import math

import pytest
import torch

from toonlab.cli import main
from toonlab.config import resolve_config
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.testing import TINY_TRAIN, read_csv
from toonlab.train import loop
from toonlab.train.divergence import DivergenceError, NonFiniteError, RunawayLossError
from toonlab.workflows.train import train
from toonlab.train.runaway import RunawayWatch, guess_loss

TASKS = {"color": TaskSpec("color", classes=("r", "g", "b")), "age": TaskSpec("age", kind="regression")}
SMALL = ["data.image_size=16", "model.widths=[8]", "model.head_width=16", "train.batch_size=8",
         "train.progress=false", "train.precision=fp32", "data.workers=1", "eval.plots=false", "eval.report=false",
         "train.schedule=none", "train.weight_decay=0"]  # 42 training images: 6 steps per epoch


def _losses(color, age=0.5):
    return {"color": torch.tensor(color), "age": torch.tensor(age)}


def _cfg(data, *extra):
    return resolve_config(overrides=[f"data.path={data}", *SMALL, *extra])


def test_the_reference_is_the_larger_of_guessing_and_the_first_step():
    watch = RunawayWatch(TASKS, factor=10, steps=3)
    watch.update(_losses(0.5, age=7.0))  # color starts below log 3; age starts far from 0
    assert watch.reference == pytest.approx({"color": math.log(3), "age": 7.0})
    assert guess_loss(TASKS["color"]) == pytest.approx(math.log(3)) and guess_loss(TASKS["age"]) == 1.0
    assert watch.far_heads({"color": 10.9, "age": 69.0}) == []
    assert watch.far_heads({"color": 11.1, "age": 71.0, "other": math.nan}) == ["color", "age", "other"]


def test_it_trips_after_steps_far_off_steps_in_a_row_and_a_normal_step_resets_the_count():
    watch = RunawayWatch(TASKS, factor=10, steps=3)
    for value in (1.0, 50.0, 50.0, 0.9, 50.0, 50.0):  # two far, one normal, two far: never three in a row
        watch.update(_losses(value))
    assert watch.streak == 2
    watch.update({})  # no labelled image in the batch: nothing far off
    assert watch.streak == 0
    watch.update(_losses(50.0)), watch.update(_losses(50.0))
    with pytest.raises(RunawayLossError) as info:
        watch.update(_losses(50.0))
    assert info.value.heads == ["color"] and "3 step(s) in a row" in str(info.value)
    assert "train.diverge_factor=10" in str(info.value) and "color > 11" in str(info.value)
    watch.reset()
    assert watch.streak == 0


def test_an_epoch_shorter_than_the_steps_is_enough():
    watch = RunawayWatch(TASKS, factor=10, steps=20, epoch_steps=2)
    watch.update(_losses(1.0))
    watch.update(_losses(1e9))
    with pytest.raises(RunawayLossError):
        watch.update(_losses(1e9))


def test_the_epoch_end_looks_at_validation():
    watch = RunawayWatch(TASKS, factor=10, steps=20)
    watch.update(_losses(1.0))
    watch.check_epoch_end({"val_loss/color": 50.0, "val_loss/age": 0.1})  # far validation alone: overfitting, quiet
    with pytest.raises(NonFiniteError, match="Non-finite validation loss in head\\(s\\) 'age'"):
        watch.check_epoch_end({"val_loss/color": 1.0, "val_loss/age": math.nan})
    watch.update(_losses(50.0))  # the epoch ends on a far-off step ...
    watch.check_epoch_end({"val_loss/color": 1.0})  # ... but validation is fine: quiet
    with pytest.raises(RunawayLossError, match="and so did its validation loss"):
        watch.check_epoch_end({"val_loss/color": 50.0})


def _inflate(monkeypatch, calls_to_inflate):
    """Multiply the per-head training losses the watch sees by 1e6 on the given training calls (the loss the
    gradient comes from stays real, so the weights stay sane)."""
    real, calls = loop.multitask_loss, []

    def inflated(outputs, targets, tasks, weights=None, smoothing=0.0):
        total, parts = real(outputs, targets, tasks, weights, smoothing=smoothing)
        if torch.is_grad_enabled():
            calls.append(1)
            if len(calls) in calls_to_inflate:
                parts = {name: part * 1e6 for name, part in parts.items()}
        return total, parts

    monkeypatch.setattr(loop, "multitask_loss", inflated)


def test_a_runaway_loss_rolls_back_with_a_lower_lr_and_training_goes_on(toy_data, tmp_path, monkeypatch, caplog):
    _inflate(monkeypatch, {3, 4, 5})
    with caplog.at_level(logging.WARNING, logger="toonlab.train.loop"):
        train(_cfg(toy_data, "train.lr=0.01", "train.epochs=2", "train.diverge_steps=3"), tmp_path / "r")
    assert "Runaway loss in head(s) 'color', 'size'" in caplog.text
    assert "at epoch 1, step 5 of 6: rolled back to step 0" in caplog.text and "0.01 -> 0.005" in caplog.text
    rows = read_csv(tmp_path / "r" / "history.csv")
    assert [(r["rollbacks"], float(r["lr"])) for r in rows] == [("1", 0.005), ("1", 0.005)]


def test_a_loss_that_keeps_running_away_stops_with_the_message(toy_data, tmp_path, monkeypatch):
    _inflate(monkeypatch, set(range(2, 100)))
    with pytest.raises(DivergenceError) as info:
        train(_cfg(toy_data, "train.epochs=2", "train.max_rollbacks=1", "train.diverge_steps=3"), tmp_path / "r")
    message = str(info.value)
    assert "Training diverged at epoch 1, step 3 of 6: the loss of head(s) 'color', 'size' ran away" in message
    assert "after 1 rollback(s)" in message and "learning rate is too high" in message


def test_a_normal_run_is_unaffected(toy_data, tmp_path):
    """Label smoothing and loss balancing on: the watch never trips, and watching changes nothing."""
    options = ("train.epochs=3", "train.label_smoothing=0.2", "train.task_balance=loss", "train.schedule=onecycle")
    watched = train(_cfg(toy_data, *options), tmp_path / "on")
    unwatched = train(_cfg(toy_data, *options, "train.diverge_factor=0"), tmp_path / "off")
    assert [r["rollbacks"] for r in read_csv(tmp_path / "on" / "history.csv")] == ["0", "0", "0"]
    assert watched["tasks"] == unwatched["tasks"]


def test_a_huge_learning_rate_on_the_command_line_exits_2_without_a_table(toy_data, tmp_path, capsys):
    code = main(["train", str(toy_data), "-o", str(tmp_path / "r"), "--train.lr=1e6", "--train.optimizer=adam",
                 *TINY_TRAIN])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert "Training diverged at epoch 1" in err and "after 3 rollback(s)" in err
    assert "test acc" not in out + err and not (tmp_path / "r" / "metrics.json").exists()


@pytest.mark.parametrize("override", ["train.diverge_factor=0.5", "train.diverge_steps=0"])
def test_bad_runaway_settings_are_refused_with_the_key(toy_data, tmp_path, override):
    with pytest.raises(ToonlabError, match=override.split("=")[0].replace(".", "\\.")):
        train(_cfg(toy_data, override, "train.epochs=1"), tmp_path / "r")

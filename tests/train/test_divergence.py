"""Non-finite losses and gradients: caught at the step, rolled back with a lower lr, or a clear error."""

import csv
import logging
import re

import pytest
import torch
from torch import nn

from toonlab.config import resolve_config
from toonlab.errors import ToonlabError
from toonlab.train import loop
from toonlab.inference.checkpoint import load_checkpoint
from toonlab.train.divergence import DivergenceError, NonFiniteError, check_gradients, lower_lr
from toonlab.workflows.train import train

SMALL = ["data.image_size=24", "model.widths=[8,16]", "model.head_width=32", "train.batch_size=16",
         "train.progress=false", "train.precision=fp32", "data.workers=1",
         "train.schedule=none", "train.weight_decay=0"]  # a constant rate in one param group: the rates checked below
HUGE_SGD = ["train.optimizer=sgd", "train.lr=1.0e+12"]  # 42 training images: 3 steps per epoch


def _cfg(data, *extra):
    return resolve_config(overrides=[f"data.path={data}", *SMALL, *extra])


def _history(run):
    with open(run / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_real_divergence_rolls_back_with_a_lower_lr_and_the_count_survives_resume(toy_data, tmp_path, caplog):
    cfg = _cfg(toy_data, *HUGE_SGD, "train.rollback_lr_factor=1.0e-14", "train.max_rollbacks=1", "train.epochs=2")
    with caplog.at_level(logging.WARNING, logger="toonlab.train.loop"):
        train(cfg, tmp_path / "r")
    assert "epoch 1, step 2 of 3: rolled back" in caplog.text and "1e+12 -> 0.01" in caplog.text
    ckpt = load_checkpoint(tmp_path / "r/checkpoints/last.pt")
    assert ckpt["rollback"]["count"] == 1 and ckpt["rollback"]["lr"] == pytest.approx([0.01])
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values() if v.is_floating_point())

    cfg.train.epochs = 3
    train(cfg, tmp_path / "r", resume=True)
    rows = _history(tmp_path / "r")
    assert [(r["epoch"], r["rollbacks"], float(r["lr"])) for r in rows] == [(str(e), "1", 0.01) for e in (1, 2, 3)]


def test_without_rollbacks_the_error_names_epoch_step_heads_and_causes(toy_data, tmp_path):
    with pytest.raises(DivergenceError) as info:
        train(_cfg(toy_data, *HUGE_SGD, "train.max_rollbacks=0", "train.epochs=2"), tmp_path / "r")
    message = str(info.value)
    assert "Training diverged at epoch 1, step 2 of 3" in message and "train.max_rollbacks=0" in message
    assert "'color'" in message and "'size'" in message
    assert re.search(r"color=-?(nan|inf)\b", message), message  # the weights blew up: nan or inf, by rounding
    for cause in ("learning rate is too high", "exploding gradients", "corrupt or unnormalised", "labels out of range"):
        assert cause in message


def test_nan_at_a_chosen_step_is_rolled_back_exactly(toy_data, tmp_path, monkeypatch, caplog):
    """A NaN at epoch 1 step 2 restarts epoch 1 at lr/2: the same weights as a clean run at lr/2."""
    real, calls = loop.multitask_loss, []

    def poisoned(outputs, targets, tasks, weights=None, smoothing=0.0):
        total, parts = real(outputs, targets, tasks, weights, smoothing=smoothing)
        if torch.is_grad_enabled():  # training steps only, not evaluation
            calls.append(1)
            if len(calls) == 2:
                parts = {**parts, "size": parts["size"] * float("nan")}
                total = sum(parts.values())
        return total, parts

    monkeypatch.setattr(loop, "multitask_loss", poisoned)
    with caplog.at_level(logging.WARNING, logger="toonlab.train.loop"):
        train(_cfg(toy_data, "train.lr=0.01", "train.epochs=2"), tmp_path / "nan")
    monkeypatch.setattr(loop, "multitask_loss", real)
    train(_cfg(toy_data, "train.lr=0.005", "train.epochs=2"), tmp_path / "clean")

    assert "Non-finite loss in head(s) 'size' at epoch 1, step 2 of 3" in caplog.text
    nan, clean = (load_checkpoint(tmp_path / name / "checkpoints/last.pt") for name in ("nan", "clean"))
    assert nan["rollback"] == {"count": 1, "lr": [0.005]}
    for key, value in clean["model"].items():
        assert torch.equal(value, nan["model"][key]), key
    assert [r["rollbacks"] for r in _history(tmp_path / "nan")] == ["1", "1"]


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(2, 2)
        self.heads = nn.ModuleDict({"color": nn.Linear(2, 3), "size": nn.Linear(2, 2)})


def test_gradient_check_names_the_head_or_the_shared_layers():
    net, losses = _TwoHeads(), {"color": torch.tensor(1.0), "size": torch.tensor(2.0)}
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    check_gradients(net, losses)  # all finite: quiet
    net.heads["size"].weight.grad[0, 0] = float("inf")
    with pytest.raises(NonFiniteError, match="head\\(s\\) 'size'") as info:
        check_gradients(net, losses)
    assert info.value.heads == ["size"] and "size=2" in str(info.value)
    net.heads["size"].weight.grad.zero_()
    net.trunk.bias.grad[0] = float("nan")
    with pytest.raises(NonFiniteError, match="shared layers"):
        check_gradients(net, losses)


def test_gradient_check_is_quiet_when_only_the_sum_of_finite_gradients_overflows():
    net, losses = _TwoHeads(), {"color": torch.tensor(1.0), "size": torch.tensor(2.0)}
    for p in net.parameters():
        p.grad = torch.full_like(p, 3e38)  # each finite; their float32 sum is inf
    check_gradients(net, losses)
    net.heads["color"].bias.grad[1] = float("-inf")
    with pytest.raises(NonFiniteError, match="head\\(s\\) 'color'"):
        check_gradients(net, losses)


@pytest.mark.parametrize("schedule", ["onecycle", "lambda"])
def test_lower_lr_also_lowers_what_the_schedule_computes(schedule):
    def make():
        opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
        if schedule == "onecycle":
            return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
        return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.9**step)

    (opt, sched), (ref_opt, ref_sched) = make(), make()
    assert lower_lr(opt, sched, 0.5) == (ref_opt.param_groups[0]["lr"], ref_opt.param_groups[0]["lr"] * 0.5)
    for _ in range(3):
        opt.step(), sched.step(), ref_opt.step(), ref_sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 * ref_opt.param_groups[0]["lr"])


@pytest.mark.parametrize("override", ["train.rollback_lr_factor=1.0", "train.max_rollbacks=-1",
                                      "train.checkpoint_every=-2"])
def test_bad_rollback_settings_are_refused_with_the_key(toy_data, tmp_path, override):
    with pytest.raises(ToonlabError, match=override.split("=")[0].replace(".", "\\.")):
        train(_cfg(toy_data, override, "train.epochs=1"), tmp_path / "r")

"""The epoch line: its fields, one per epoch in a log file without carriage returns, and from Python."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import toonlab
import toonlab.progress as progress
from toonlab.cli import main
from toonlab.config import resolve_config
from toonlab.testing import tiny_train_without
from toonlab.train.callbacks.epoch_line import format_epoch_line
from toonlab.workflows.train import train

LINE = re.compile(r"^epoch (\d+)/(\d+)  loss \d+\.\d{3} \(mean per head\)  train \d+\.\d %  val \d+\.\d %  "
                  r"lr \d\.\de[-+]\d\d  \d+\.\d s(  ETA \S+)?(  \* best)?$")
SMALL = ["data.image_size=16", "model.widths=[8]", "model.head_width=16", "train.batch_size=16",
         "train.precision=fp32", "data.workers=1", "eval.plots=false"]


def test_the_line_shows_the_mean_loss_per_head_accuracies_in_percent_lr_time_eta_and_best():
    logs = {"train_loss": 0.8, "train_loss/a": 0.5, "train_loss/b": 0.3, "train_acc": 0.912, "val_acc": 0.88,
            "lr": 0.0031, "seconds": 12.44}
    line = format_epoch_line(3, 20, logs, eta=185, best=True)
    assert line == ("epoch 3/20  loss 0.400 (mean per head)  train 91.2 %  val 88.0 %  lr 3.1e-03  12.4 s  "
                    "ETA 3m05s  * best")
    assert format_epoch_line(20, 20, logs, eta=0) == ("epoch 20/20  loss 0.400 (mean per head)  train 91.2 %  "
                                                      "val 88.0 %  lr 3.1e-03  12.4 s")


def test_regression_only_shows_the_validation_mae_instead_of_accuracies():
    logs = {"train_loss/age": 0.2, "val_mae": 1.25, "val_mae/age": 1.25, "lr": 0.001, "seconds": 1.0}
    line = format_epoch_line(1, 2, logs, eta=1.0)
    assert "val MAE 1.25" in line and "%" not in line


def test_a_log_file_gets_one_plain_line_per_epoch_and_no_carriage_return(toy_data, tmp_path):
    """`toonlab train ... > log.txt 2>&1`: stderr is not a terminal, so no bar, just the epoch lines."""
    src = str(Path(toonlab.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    argv = [sys.executable, "-m", "toonlab", "train", str(toy_data), "-o", str(tmp_path / "run"), "--epochs", "3",
            *tiny_train_without("--epochs", "--no-progress", "-q")]
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, timeout=600)
    assert done.returncode == 0, done.stdout
    assert "\r" not in done.stdout
    epochs = [m for m in map(LINE.match, done.stdout.splitlines()) if m]
    assert [(m[1], m[2]) for m in epochs] == [("1", "3"), ("2", "3"), ("3", "3")]
    assert epochs[0][3] and not epochs[-1][3]  # ETA while epochs are left
    assert epochs[0][4]  # the first epoch is always the best so far
    assert done.stdout.count("epoch 1/3") == 1


def test_on_a_terminal_the_epoch_uses_a_bar(toy_data, tmp_path, capsys, monkeypatch, caplog):
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    with caplog.at_level(logging.INFO, logger="toonlab"):
        code = main(["train", str(toy_data), "-o", str(tmp_path / "run"), *tiny_train_without("--no-progress", "-q")])
    err = capsys.readouterr().err
    assert code == 0
    assert "epoch 1/1" in err and "batch" in err and "\r" in err  # tqdm's bar
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch 1/1  loss")]


def test_python_callers_get_the_epoch_lines_through_logging(toy_data, tmp_path, caplog):
    cfg = resolve_config(overrides=[f"data.path={toy_data}", *SMALL, "train.epochs=2", "train.progress=false"])
    with caplog.at_level(logging.INFO, logger="toonlab"):
        train(cfg, tmp_path / "run")
    lines = [r.getMessage() for r in caplog.records if r.name == "toonlab.train"]
    assert [line.split("  ")[0] for line in lines if LINE.match(line)] == ["epoch 1/2", "epoch 2/2"]


def test_separate_mode_names_the_network_on_each_line(toy_data, tmp_path, caplog):
    cfg = resolve_config(overrides=[f"data.path={toy_data}", *SMALL, "train.epochs=1", "train.progress=false",
                                    "train.mode=separate"])
    with caplog.at_level(logging.INFO, logger="toonlab"):
        train(cfg, tmp_path / "run")
    lines = [r.getMessage() for r in caplog.records if r.name == "toonlab.train"]
    assert [line.split("  ")[0] for line in lines] == ["color: epoch 1/1", "size: epoch 1/1"]

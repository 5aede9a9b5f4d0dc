import json
import math

import pytest
import torch

from toonlab.config import resolve_config
from toonlab.errors import DataError, ToonlabError
from toonlab.testing import set_label
from toonlab.inference.checkpoint import load_checkpoint
from toonlab.workflows.train import train

SMALL = ["data.image_size=24", "model.widths=[8,16]", "model.head_width=32", "train.batch_size=16",
         "train.progress=false", "train.precision=fp32"]


def _cfg(data, *extra):
    return resolve_config(overrides=[f"data.path={data}", *SMALL, *extra])


def test_shared_run_writes_the_run_folder_and_learns(toy_data, tmp_path):
    run = tmp_path / "run"
    metrics = train(_cfg(toy_data, "train.epochs=8", "train.lr=0.01"), run)
    for name in ("config.yaml", "splits.csv", "skipped.csv", "history.csv", "metrics.json", "predictions.csv",
                 "checkpoints/best.pt", "checkpoints/last.pt"):
        assert (run / name).exists(), name
    assert list((run / "tb").glob("events.out.tfevents*"))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["tasks"]["color"] == metrics["tasks"]["color"]
    assert saved["tasks"]["color"]["num_classes"] == 3 and saved["tasks"]["color"]["kind"] == "classification"
    assert sum(saved["splits"].values()) == 60 and saved["seed"] == 0 and saved["wall_time_s"] > 0
    assert metrics["tasks"]["color"]["accuracy"] > metrics["tasks"]["color"]["baseline_accuracy"]


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(toy_data, tmp_path):
    constant = "train.schedule=none"  # a rate that does not depend on the total epochs (2 first, then 4)
    train(_cfg(toy_data, "train.epochs=4", "train.patience=0", constant), tmp_path / "full")
    train(_cfg(toy_data, "train.epochs=2", "train.patience=0", constant), tmp_path / "part")
    train(_cfg(toy_data, "train.epochs=4", "train.patience=0", constant), tmp_path / "part", resume=True)
    full = load_checkpoint(tmp_path / "full/checkpoints/last.pt")
    part = load_checkpoint(tmp_path / "part/checkpoints/last.pt")
    assert full["epoch"] == part["epoch"] == 4
    for key, value in full["model"].items():
        assert torch.equal(value, part["model"][key]), key
    assert (tmp_path / "part/history.csv").read_text().count("\n") == 5  # header + 4 epochs


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_resuming_an_annealing_schedule_past_its_epochs_is_refused_before_training(toy_data, tmp_path, schedule):
    run = tmp_path / "run"
    train(_cfg(toy_data, "train.epochs=1", f"train.schedule={schedule}"), run)
    before = (run / "checkpoints/last.pt").read_bytes()
    with pytest.raises(ToonlabError, match=rf"{schedule}.*over the 1 epochs.*--epochs 1.*Received: train.epochs=2"):
        train(_cfg(toy_data, "train.epochs=2", f"train.schedule={schedule}"), run, resume=True)
    assert (run / "checkpoints/last.pt").read_bytes() == before and (run / "history.csv").read_text().count("\n") == 2
    train(_cfg(toy_data, "train.epochs=1", f"train.schedule={schedule}"), run, resume=True)  # its own epochs: fine


def test_separate_mode_trains_one_network_per_task(toy_data, tmp_path):
    metrics = train(_cfg(toy_data, "train.epochs=1", "train.mode=separate"), tmp_path / "sep")
    assert sorted(p.name for p in (tmp_path / "sep/tasks").iterdir()) == ["color", "size"]
    assert set(metrics["tasks"]) == {"color", "size"}
    ck = load_checkpoint(tmp_path / "sep/tasks/size/checkpoints/best.pt")
    assert list(ck["tasks"]) == ["size"]


def test_task_subset_and_limit(toy_data, tmp_path):
    metrics = train(_cfg(toy_data, "train.epochs=1", "data.tasks=size", "data.limit=30"), tmp_path / "r")
    assert list(metrics["tasks"]) == ["size"] and metrics["images"]["used"] == 30


def test_existing_run_needs_resume_and_resume_needs_a_run(toy_data, tmp_path):
    train(_cfg(toy_data, "train.epochs=1"), tmp_path / "r")
    with pytest.raises(ToonlabError, match="--resume.*--overwrite.*another --out"):
        train(_cfg(toy_data, "train.epochs=1"), tmp_path / "r")
    with pytest.raises(ToonlabError, match="holds no run"):
        train(_cfg(toy_data, "train.epochs=1"), tmp_path / "other", resume=True)


def test_broken_images_are_skipped_and_counts_reconcile(toy_data, tmp_path):
    (toy_data / "0" / "toy00000.png").write_bytes(b"")  # zero bytes: cannot decode
    metrics = train(_cfg(toy_data, "train.epochs=1"), tmp_path / "r")
    images = metrics["images"]
    assert images["found"] == 60 and images["skipped"] == 1 and images["used"] == 59
    assert "toy00000.png" in (tmp_path / "r/skipped.csv").read_text()


def test_early_stopping_and_best_checkpoint_follow_any_metric(toy_data, tmp_path):
    train(_cfg(toy_data, "train.epochs=2", "train.monitor=val_acc/color"), tmp_path / "r")
    ck = load_checkpoint(tmp_path / "r/checkpoints/last.pt")
    assert ck["callbacks"]["early_stopping"]["best"] > 0  # an accuracy, maximised
    with pytest.raises(ToonlabError, match="train.monitor"):
        train(_cfg(toy_data, "train.epochs=1", "train.monitor=val_f1"), tmp_path / "bad")


@pytest.mark.parametrize("bad", ["model.activation=relux", "augment.hue=0.9", "train.rollback_lr_factor=2.0",
                                 "train.schedule=poly", "train.label_smoothing=1.5"])
def test_bad_settings_are_refused_before_the_run_folder_exists(toy_data, tmp_path, bad):
    with pytest.raises(ToonlabError, match="Received"):
        train(_cfg(toy_data, bad), tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_label_smoothing_keeps_the_training_loss_above_its_floor(toy_data, tmp_path):
    last = {}
    for name, smoothing in (("plain", 0.0), ("smooth", 0.3)):
        opts = ("train.epochs=6", "train.lr=0.01", "train.patience=0", f"train.label_smoothing={smoothing}",
                "data.tasks=color")
        train(_cfg(toy_data, *opts), tmp_path / name)
        header, *rows = (tmp_path / name / "history.csv").read_text().splitlines()
        last[name] = dict(zip(header.split(","), map(float, rows[-1].split(","))))
    floor = -(0.8 * math.log(0.8) + 2 * 0.1 * math.log(0.1))  # 3 classes, smoothed targets 0.8 / 0.1 / 0.1
    assert last["plain"]["train_loss"] < floor < last["smooth"]["train_loss"]


def test_a_run_failing_in_its_first_epoch_leaves_nothing_and_the_same_call_then_works(toy_data, tmp_path, monkeypatch):
    import toonlab.workflows.pipeline as run_module

    def broken_fit(*args, **kwargs):
        raise RuntimeError("out of memory in the first batch")

    real_fit = run_module.fit
    monkeypatch.setattr(run_module, "fit", broken_fit)
    with pytest.raises(RuntimeError, match="out of memory"):
        train(_cfg(toy_data, "train.epochs=1"), tmp_path / "runs/r")
    assert not (tmp_path / "runs/r").exists()
    monkeypatch.setattr(run_module, "fit", real_fit)
    train(_cfg(toy_data, "train.epochs=1"), tmp_path / "runs/r")  # no --overwrite needed
    assert (tmp_path / "runs/r/metrics.json").exists()


def test_overwrite_replaces_the_run_and_train_picks_a_folder_when_none_is_given(toy_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(_cfg(toy_data, "train.epochs=1"))
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("toy-") and (run / "metrics.json").exists()
    (run / "old-note.txt").write_text("from the first run")
    train(_cfg(toy_data, "train.epochs=2", "train.patience=0"), run, overwrite=True)
    assert not (run / "old-note.txt").exists() and (run / "history.csv").read_text().count("\n") == 3
    with pytest.raises(ToonlabError, match="name its folder"):
        train(_cfg(toy_data), resume=True)


def test_a_task_with_one_class_is_refused_before_the_run_folder_exists(toy_data, tmp_path):
    set_label(toy_data, "size", 1)
    with pytest.raises(DataError, match="'size' has a single class: all 60 labelled images are '1'.*--tasks color"):
        train(_cfg(toy_data, "train.epochs=1"), tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert list(train(_cfg(toy_data, "train.epochs=1", "data.tasks=color"), tmp_path / "r")["tasks"]) == ["color"]

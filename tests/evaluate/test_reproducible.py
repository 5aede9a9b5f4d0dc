"""The same command and seed give the same metrics; eval says when versions or data changed since training."""

import json
import logging

import pytest

import toonlab
from toonlab import provenance
from toonlab.cli import main
from toonlab.testing import TINY_TRAIN, set_label, train_cli

TIMING = ("wall_time_s", "command")  # what may differ between two identical runs


def test_two_runs_with_the_same_seed_give_identical_metrics(toy_data, tmp_path, capsys):
    first = train_cli(capsys, toy_data, tmp_path / "a", "--seed", "3")
    second = train_cli(capsys, toy_data, tmp_path / "b", "--seed", "3")
    assert {k: v for k, v in first.items() if k not in TIMING} == {k: v for k, v in second.items() if k not in TIMING}
    assert first["tasks"]["color"]["accuracy"] == second["tasks"]["color"]["accuracy"]


def test_metrics_record_versions_and_a_data_fingerprint(toy_data, tmp_path, capsys):
    metrics = train_cli(capsys, toy_data, tmp_path / "r")
    assert metrics["versions"] == provenance.library_versions()
    assert {"toonlab", "torch", "torchvision"} <= set(metrics["versions"])
    assert metrics["data_fingerprint"]["files"] == 60 and len(metrics["data_fingerprint"]["sha256"]) == 64
    assert metrics["changed_since_training"] == []


@pytest.fixture
def trained(toy_data, tmp_path, capsys):
    train_cli(capsys, toy_data, tmp_path / "r")
    return tmp_path / "r"


def test_eval_warns_when_the_labels_changed_since_training(trained, toy_data, caplog):
    before = json.loads((trained / "metrics.json").read_text())["data_fingerprint"]
    set_label(toy_data, "size", 0)
    with caplog.at_level(logging.WARNING, logger="toonlab.evaluate.run"):  # the CLI shows these lines on stderr
        assert main(["eval", str(trained), "--no-progress"]) == 0
    assert "data: the labels changed" in caplog.text and before["sha256"][:12] in caplog.text
    metrics = json.loads((trained / "metrics.json").read_text())
    assert [c.split(" changed")[0] for c in metrics["changed_since_training"]] == [
        "data: the labels"]
    assert metrics["data_fingerprint"]["images"] == before["images"] != ""  # the pixels did not change


def test_eval_through_the_api_warns_when_a_version_changed(trained, monkeypatch, caplog):
    real = provenance.library_versions()
    monkeypatch.setattr(provenance, "library_versions", lambda: {**real, "torch": "9.9.9"})
    with caplog.at_level(logging.WARNING, logger="toonlab.evaluate.run"):
        metrics = toonlab.load(trained).evaluate()
    assert f"torch {real['torch']} -> 9.9.9" in caplog.text and "may differ" in caplog.text
    assert metrics["changed_since_training"] == [f"torch {real['torch']} -> 9.9.9"]


def test_eval_of_an_unchanged_run_and_of_another_folder_says_nothing(trained, tmp_path, caplog):
    from toonlab.testing import make_toy_cartoonset

    other = make_toy_cartoonset(tmp_path / "other", n=20, size=24, seed=5)
    with caplog.at_level(logging.WARNING, logger="toonlab.evaluate.run"):
        assert toonlab.load(trained).evaluate()["changed_since_training"] == []
        assert toonlab.load(trained).evaluate(other)["changed_since_training"] == []
    assert "Since" not in caplog.text

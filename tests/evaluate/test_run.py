import json

import pytest

from toonlab.config import resolve_config
from toonlab.data.splits import SplitMismatch
from toonlab.evaluate.run import evaluate_run
from toonlab.testing import make_toy_cartoonset
from toonlab.workflows.train import train

SMALL = ["data.image_size=24", "model.widths=[8,16]", "model.head_width=32", "train.epochs=1", "train.progress=false"]


@pytest.fixture
def run(toy_data, tmp_path):
    train(resolve_config(overrides=[f"data.path={toy_data}", *SMALL]), tmp_path / "run")
    return tmp_path / "run"


def test_eval_on_the_runs_data_uses_its_test_split_and_keeps_training_facts(run):
    before = json.loads((run / "metrics.json").read_text())
    metrics = evaluate_run(run)
    assert metrics["splits"] == before["splits"] and metrics["tasks"]["color"]["n_test"] == before["splits"]["test"]
    assert metrics["wall_time_s"] == before["wall_time_s"] and metrics["seed"] == 0


def test_eval_on_another_folder_uses_every_image(run, tmp_path):
    other = make_toy_cartoonset(tmp_path / "other", n=25, size=24, seed=7)
    metrics = evaluate_run(run, other)
    assert metrics["tasks"]["color"]["n_test"] == 25 and metrics["data"] == str(other)


def test_changed_data_without_an_explicit_folder_is_an_error(run, toy_data):
    (toy_data / "0" / "toy00000.png").unlink()
    (toy_data / "0" / "toy00000.csv").unlink()
    with pytest.raises(SplitMismatch, match="changed since the run"):
        evaluate_run(run)

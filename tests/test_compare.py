"""``toonlab compare``: several approaches on one split, one table."""

from __future__ import annotations

import pytest

from toonlab.cli import main
from toonlab.testing import TINY_TRAIN, read_csv, tiny_train_without


def test_compare_trains_each_approach_on_the_same_split(toy_data, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(toy_data), "-o", str(out), "--models", "mlp,cnn,features,last_layer",
                 "--backbone", "mobilenet_v3_small", "--model.weights=none", "--image-size", "32",
                 "--eval.report=false", *tiny_train_without("--image-size")])
    printed = capsys.readouterr().out
    assert code == 0
    rows = read_csv(out / "compare.csv")
    assert [r["approach"] for r in rows] == ["mlp", "cnn", "features", "last_layer"]
    assert [r["model"] for r in rows] == ["mlp", "cnn", "mobilenet_v3_small", "mobilenet_v3_small"]
    assert all(0 <= float(r["test_acc"]) <= 1 for r in rows)
    splits = {(out / r["approach"] / "splits.csv").read_text() for r in rows}
    assert len(splits) == 1  # one split for all
    assert "approach" in printed and "test acc" in printed


def test_an_unknown_approach_is_refused_before_training(toy_data, tmp_path, capsys):
    assert main(["compare", str(toy_data), "-o", str(tmp_path / "c"), "--models", "cnn,frozen"]) == 2
    assert "frozen" in capsys.readouterr().err and not (tmp_path / "c" / "cnn").exists()


@pytest.mark.parametrize("models", ["features"])
def test_missing_weights_stop_compare_with_the_message(toy_data, tmp_path, capsys, monkeypatch, models):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    assert main(["compare", str(toy_data), "-o", str(tmp_path / "c"), "--models", models, "--backbone", "resnet18",
                 *TINY_TRAIN]) == 2
    assert "does not download" in capsys.readouterr().err


def test_compare_names_its_own_folder_and_overwrite_replaces_its_runs(toy_data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = ["--models", "mlp", "--eval.report=false", *tiny_train_without("-q")]
    assert main(["compare", str(toy_data), *options]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Compare folder: runs/compare-toy-")
    out = first.split(": ")[1]
    assert (tmp_path / out / "mlp" / "metrics.json").exists() and (tmp_path / out / "compare.csv").exists()
    assert main(["compare", str(toy_data), "-o", out, *options]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["compare", str(toy_data), "-o", out, "--overwrite", *options]) == 0
    assert main(["compare", str(toy_data), "-o", out, "--overwrite", "--resume", *options]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_a_backbone_weights_file_is_left_out_of_the_own_approaches(tmp_path):
    from toonlab.compare import approach_config
    from toonlab.config import ExperimentConfig, ModelConfig, validate

    base = ExperimentConfig(model=ModelConfig(weights=str(tmp_path / "resnet18.pth")))  # a template, not validated
    assert validate(approach_config(base, "cnn", "resnet18")).model.weights == "none"
    assert approach_config(base, "features", "resnet18").model.weights == base.model.weights

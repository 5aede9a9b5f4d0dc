"""Labels that are not drawn, end to end (1 epoch, 16 px): ``--visibility FILE`` on train and eval, the
accuracy where drawn and the drawn share in metrics.json, and ``train.undrawn_labels=skip`` leaving
those labels out of the training loss while splits and baselines stay the same."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from toonlab.cli import main
from toonlab.testing import TINY_TRAIN, make_toy_cartoonset, read_csv, train_cli


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> tuple[Path, Path]:
    """60 toy faces and, outside the data folder, a table: 'size' is never drawn, 'color' not in every 3rd image."""
    root = make_toy_cartoonset(tmp_path_factory.mktemp("data") / "toy", n=60, size=24)
    rels = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    table = root.parent / "visibility.csv"
    table.write_text("file,color,size\n" + "".join(f"{r},{int(i % 3 > 0)},0\n" for i, r in enumerate(rels)))
    return root, table


def not_drawn_color(table: Path) -> set[str]:
    return {row["file"] for row in read_csv(table) if row["color"] == "0"}


def history(run: Path) -> list[dict[str, str]]:
    return read_csv(run / "history.csv")


def test_skip_leaves_labels_not_drawn_out_of_the_training_loss_only(toy, tmp_path, capsys):
    root, table = toy
    skip = train_cli(capsys, root, tmp_path / "skip", "--visibility", str(table), "--train.undrawn_labels=skip")
    keep = train_cli(capsys, root, tmp_path / "keep", "--visibility", str(table))
    assert all(float(row["train_loss/size"]) == 0.0 for row in history(tmp_path / "skip"))  # never in the loss
    assert all(float(row["val_loss/size"]) > 0.0 for row in history(tmp_path / "skip"))  # validation still sees it
    assert all(float(row["train_loss/size"]) > 0.0 for row in history(tmp_path / "keep"))
    assert read_csv(tmp_path / "skip" / "splits.csv") == read_csv(tmp_path / "keep" / "splits.csv")
    for task in ("color", "size"):
        assert skip["tasks"][task]["baseline_accuracy"] == keep["tasks"][task]["baseline_accuracy"]
        assert skip["tasks"][task]["n_test"] == keep["tasks"][task]["n_test"] == skip["splits"]["test"]


def test_metrics_give_accuracy_where_drawn_and_the_drawn_share(toy, tmp_path, capsys):
    root, table = toy
    run = tmp_path / "run"
    metrics = train_cli(capsys, root, run, "--visibility", str(table))
    test = [row["file"] for row in read_csv(run / "splits.csv") if row["split"] == "test"]
    drawn = [f for f in test if f not in not_drawn_color(table)]
    color, size = metrics["tasks"]["color"], metrics["tasks"]["size"]
    assert color["n_visible"] == len(drawn) and color["drawn_fraction"] == len(drawn) / len(test) < 1
    right = {p["file"] for p in read_csv(run / "predictions.csv") if p["color_true"] == p["color_pred"]}
    assert color["accuracy_visible"] == len(right & set(drawn)) / len(drawn)
    assert size["drawn_fraction"] == 0.0 and size["n_visible"] == 0 and math.isnan(size["accuracy_visible"])

    assert main(["eval", str(run), "--visibility", "none"]) == 0  # eval reads the label options too
    out = capsys.readouterr().out
    again = json.loads((run / "metrics.json").read_text())
    assert "accuracy_visible" not in again["tasks"]["color"] and "acc where drawn" not in out
    assert again["tasks"]["color"]["accuracy"] == color["accuracy"]


def test_a_bad_undrawn_labels_value_stops_before_anything_is_written(toy, tmp_path, capsys):
    root, _ = toy
    code = main(["train", str(root), "-o", str(tmp_path / "run"), "--train.undrawn_labels=drop", *TINY_TRAIN])
    err = capsys.readouterr().err
    assert code == 2 and "train.undrawn_labels must be one of 'keep', 'skip'" in err
    assert "Received: train.undrawn_labels='drop'" in err
    assert not (tmp_path / "run" / "config.yaml").exists()

"""What evaluation writes after a tiny training run (1 epoch, 16 px): RUN/eval/<task>/ files for a
classification and a regression head, the metrics.json summaries, ``eval --robustness``, and evaluation
on another folder whose classes are a reordered subset (labels matched to the model's classes by name)."""

from __future__ import annotations

import csv
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from toonlab.cli import main
from toonlab.evaluate.robustness import DEFAULT_TRANSFORMS

TINY = ["--epochs", "1", "--image-size", "16", "--batch-size", "16", "--model.widths=[8]", "--model.head_width=16",
        "--no-progress", "-q", "--data.workers=1", "--train.precision=fp32"]
COLORS = {"red": (220, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 220), "purple": (150, 40, 160)}
MISTAKES = 3


def discs(root: Path, colors: list[str], n: int, seed: int) -> dict[str, tuple[str, int]]:
    """``n`` discs of the given colours and radii 3..11 px on white, with ``labels.csv``
    (``file,color,radius``); returns {file: (color, radius)}."""
    rng = np.random.default_rng(seed)
    truth = {}
    root.mkdir(parents=True)
    for i in range(n):
        color, radius = colors[i % len(colors)], int(rng.integers(3, 12))
        im = Image.new("RGB", (24, 24), "white")
        c = 12 + int(rng.integers(-2, 3))
        ImageDraw.Draw(im).ellipse((c - radius, c - radius, c + radius, c + radius), fill=COLORS[color])
        im.save(root / f"d{i:02d}.png")
        truth[f"d{i:02d}.png"] = (color, radius)
    lines = ["file,color,radius"] + [f"{f},{c},{r}" for f, (c, r) in truth.items()]
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return truth


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One run with a classification head (color: blue, green, red) and a regression head (radius)."""
    tmp = tmp_path_factory.mktemp("eval-run")
    discs(tmp / "data", ["red", "green", "blue"], 36, seed=0)
    run = tmp / "run"
    code = main(["train", str(tmp / "data"), "-o", str(run), "--source", "manifest", "--labels", "labels.csv",
                 "--regression", "radius", f"--eval.mistakes={MISTAKES}", "--eval.plots=true", f"--data.cache_dir={tmp / 'cache'}", *TINY])
    assert code == 0
    return run


@pytest.fixture
def run(trained, tmp_path) -> Path:
    """A copy of the trained run that a test may evaluate again (rewriting its files)."""
    return Path(shutil.copytree(trained, tmp_path / "run"))


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def confusion(path: Path) -> tuple[list[str], np.ndarray]:
    """(classes, K x K counts) from confusion.csv, checking the header names the same classes as the rows."""
    rows = read_csv(path)
    assert rows[0][0] == "true\\pred" and [r[0] for r in rows[1:]] == rows[0][1:]
    return rows[0][1:], np.array([[int(v) for v in r[1:]] for r in rows[1:]])


def opens(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        return im.size


def test_classification_files_and_summary(run):
    metrics = json.loads((run / "metrics.json").read_text())
    color = metrics["tasks"]["color"]
    classes, matrix = confusion(run / "eval" / "color" / "confusion.csv")
    assert classes == ["blue", "green", "red"] and matrix.shape == (3, 3) == (color["num_classes"],) * 2
    assert matrix.sum() == color["n_test"] == metrics["splits"]["test"]
    assert color["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    assert min(opens(run / "eval" / "color" / "confusion.png")) > 50

    mistakes = read_csv(run / "eval" / "color" / "mistakes.csv")
    assert mistakes[0] == ["file", "true", "pred", "confidence"]
    summary = color["mistakes"]
    assert summary["count"] == matrix.sum() - np.trace(matrix) and summary["total"] == color["n_test"]
    assert len(mistakes) - 1 == min(MISTAKES, summary["count"]) and len(summary["examples"]) <= MISTAKES
    assert all(row[1] != row[2] and row[1] in classes and row[2] in classes for row in mistakes[1:])
    confidences = [float(row[3]) for row in mistakes[1:]]
    assert confidences == sorted(confidences, reverse=True)
    assert summary["summary"].startswith(f"misclassified {summary['count']} of {summary['total']}")
    for key in ("macro_f1", "baseline_accuracy", "baseline_macro_f1"):
        assert 0 <= color[key] <= 1, key
    assert set(color["files"]) == {"eval/color/confusion.csv", "eval/color/mistakes.csv", "eval/color/confusion.png"}

    predictions = read_csv(run / "predictions.csv")
    header, rows = predictions[0], predictions[1:]
    true, pred = header.index("color_true"), header.index("color_pred")
    assert np.mean([r[true] == r[pred] for r in rows]) == pytest.approx(color["accuracy"])


def test_regression_files_and_summary(run):
    metrics = json.loads((run / "metrics.json").read_text())
    radius = metrics["tasks"]["radius"]
    assert radius["kind"] == "regression" and radius["n_test"] == metrics["splits"]["test"]
    assert {"mae", "rmse", "mape", "baseline_mae"} <= set(radius) and "accuracy" not in radius
    errors = read_csv(run / "eval" / "radius" / "errors.csv")
    assert errors[0] == ["file", "true", "pred", "error"] and len(errors) - 1 == min(MISTAKES, radius["n_test"])
    sizes = [abs(float(e[3])) for e in errors[1:]]
    assert sizes == sorted(sizes, reverse=True)
    assert all(float(e[3]) == pytest.approx(float(e[2]) - float(e[1]), abs=1e-4) for e in errors[1:])
    assert sizes[0] >= radius["mae"]  # the largest error is at least the mean one
    assert radius["mistakes"]["count"] == radius["n_test"]
    assert min(opens(run / "eval" / "radius" / "scatter.png")) > 50
    assert set(radius["files"]) == {"eval/radius/errors.csv", "eval/radius/scatter.png"}


def test_eval_robustness_prints_every_transform_and_writes_json(run, capsys):
    assert main(["eval", str(run), "--robustness", "-q"]) == 0
    out = capsys.readouterr().out
    result = json.loads((run / "robustness.json").read_text())
    val = json.loads((run / "metrics.json").read_text())["splits"]["val"]
    assert result["split"] == "val" and result["n_images"] == val
    assert {e["transform"] for e in result["transforms"]} == set(DEFAULT_TRANSFORMS)
    table = out[out.index("Robustness on the val split"):]
    for name in DEFAULT_TRANSFORMS:
        assert f"\n{name} " in table, name
    assert "radius (MAE)" in table and "color" in table
    for entry in result["transforms"]:
        assert set(entry["tasks"]) == {"color", "radius"} and entry["tasks"]["color"]["n"] == val


def test_eval_on_a_folder_with_a_reordered_subset_of_classes_matches_them_by_name(run, tmp_path, capsys, caplog):
    other = tmp_path / "other"
    truth = discs(other, ["red", "blue", "purple"], 15, seed=1)  # no green; red before blue; purple is new
    with caplog.at_level(logging.WARNING):
        assert main(["eval", str(run), str(other), "-q"]) == 0
    capsys.readouterr()
    assert any("5 image(s) have a color class the model was not trained on" in r.getMessage() for r in caplog.records)

    metrics = json.loads((run / "metrics.json").read_text())
    color = metrics["tasks"]["color"]
    assert metrics["data"] == str(other) and metrics["splits"]["test"] == 15 and color["n_test"] == 10
    classes, matrix = confusion(run / "eval" / "color" / "confusion.csv")
    assert classes == ["blue", "green", "red"]  # the model's classes, in the model's order
    assert list(matrix.sum(axis=1)) == [5, 0, 5]  # 5 blue, no green, 5 red (purple left out)

    predictions = read_csv(run / "predictions.csv")
    header, rows = predictions[0], predictions[1:]
    true, pred = header.index("color_true"), header.index("color_pred")
    assert len(rows) == 15
    scored = [r for r in rows if truth[r[0]][0] != "purple"]
    assert all(r[true] == truth[r[0]][0] for r in scored)
    assert all(r[true] == "" for r in rows if truth[r[0]][0] == "purple")
    assert color["accuracy"] == pytest.approx(np.mean([r[pred] == truth[r[0]][0] for r in scored]))
    assert metrics["tasks"]["radius"]["n_test"] == 15

"""``toonlab train`` end to end from every label source (1 epoch, 16 px): manifest with mixed
classification + regression heads, nested class folders, file names read by a regex with converters,
and a combined task; broken files land in RUN/skipped.csv and found = used + skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toonlab.data.sources.filename import DRAWINGS_PATTERN
from toonlab.testing import read_csv, shapes_image, train_cli


def shapes(path: Path, seed: int, size: int = 32) -> Path:
    return shapes_image(path, seed, size)


train = train_cli


def skipped(run: Path) -> dict[str, str]:
    """RUN/skipped.csv as {file name: reason}."""
    return {Path(row["file"]).name: row["reason"] for row in read_csv(run / "skipped.csv")}


def reconciles(metrics: dict, run: Path) -> None:
    images = metrics["images"]
    assert images["found"] == images["used"] + images["skipped"]
    assert images["skipped"] == len(read_csv(run / "skipped.csv"))
    assert sum(metrics["splits"].values()) == images["used"]


def test_manifest_with_a_classification_and_a_regression_column(tmp_path, capsys):
    data = tmp_path / "data"
    rows = ["file,age,sex"] + [f"img{i:02d}.png,{20 + 2 * i},{'fm'[i % 2]}" for i in range(30)]
    rows += ["broken.png,40,f", "bad_age.png,forty,m"]
    for i, row in enumerate(rows[1:]):
        shapes(data / row.split(",")[0], seed=i)
    (data / "broken.png").write_bytes(b"")
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "manifest", "--labels", "labels.csv", "--regression", "age")

    age, sex = metrics["tasks"]["age"], metrics["tasks"]["sex"]
    assert age["kind"] == "regression" and "accuracy" not in age
    assert all(np.isfinite(age[k]) for k in ("mae", "rmse", "mape", "baseline_mae")) and age["rmse"] >= age["mae"]
    assert sex["kind"] == "classification" and sex["num_classes"] == 2 and 0 <= sex["accuracy"] <= 1
    assert "macro_f1" in sex and "mae" not in sex
    predictions = read_csv(run / "predictions.csv")
    assert list(predictions[0]) == ["file", "age_true", "age_pred", "age_prob", "sex_true", "sex_pred", "sex_prob"]
    assert len(predictions) == metrics["splits"]["test"] == age["n_test"] == sex["n_test"]
    truth = {r.split(",")[0]: r.split(",")[1:] for r in rows[1:]}
    for p in predictions:
        assert float(p["age_true"]) == float(truth[p["file"]][0]) and p["sex_true"] == truth[p["file"]][1]
        assert p["age_prob"] == "" and p["sex_pred"] in ("f", "m") and 0 < float(p["sex_prob"]) <= 1
    why = skipped(run)
    assert why["broken.png"] == "empty file (0 bytes)" and "non-numeric value 'forty'" in why["bad_age.png"]
    assert metrics["images"] == {"found": 32, "used": 30, "skipped": 2}
    reconciles(metrics, run)
    assert (run / "eval" / "age" / "errors.csv").exists() and (run / "eval" / "sex" / "confusion.csv").exists()


def test_nested_class_folders(tmp_path, capsys):
    data = tmp_path / "paintings"
    names = ["impressionism/monet", "impressionism/renoir", "cubism/picasso"]
    for i in range(27):
        shapes(data / names[i % 3] / f"p{i}.png", seed=i)
    shapes(data / "loose.png", seed=100)  # not inside a class folder
    (data / "cubism" / "notes.txt").write_text("not an image")
    whole = shapes(tmp_path / "whole.png", seed=101).read_bytes()
    (data / "cubism" / "picasso" / "torn.png").write_bytes(whole[: len(whole) // 2])  # truncated
    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "folders")

    assert list(metrics["tasks"]) == ["class"] and metrics["tasks"]["class"]["num_classes"] == 3
    header = read_csv(run / "eval" / "class" / "confusion.csv")[0]
    assert list(header)[1:] == ["cubism/picasso", "impressionism/monet", "impressionism/renoir"]
    why = skipped(run)
    assert "not inside a class folder" in why["loose.png"] and why["notes.txt"] == "not an image file (.txt)"
    assert why["torn.png"].startswith("corrupt or truncated image")
    assert metrics["images"] == {"found": 30, "used": 27, "skipped": 3}
    reconciles(metrics, run)

    levels = train(capsys, data, tmp_path / "levels", "--source", "folders", "--tasks", "style,artist")
    assert levels["tasks"]["style"]["num_classes"] == 2 and levels["tasks"]["artist"]["num_classes"] == 3


def _drawings(root: Path) -> dict[str, int]:
    """Drawings named like ``p3-67w-6.7f.jpeg`` (age group, id + author, years.months, subject), a file
    whose name does not match and one with an impossible month; returns {file: age in months}."""
    ages = {}
    for i in range(30):  # 10 children (id + author), 3 drawings each
        child, author = 10 + i // 3, "ws"[i // 3 % 2]
        group, subject = ("p3", "nu")[i // 6 % 2], "fm"[i % 2]
        years, months = 4 + i % 3, i % 12
        name = f"{group}-{child}{author}-{years}.{months}{subject}.jpeg"
        shapes(root / ("girls" if author == "w" else "boys") / name, seed=i)
        ages[name] = 12 * years + months
    shapes(root / "scan-0001.jpeg", seed=50)
    shapes(root / "p3-99w-5.13f.jpeg", seed=51)
    return ages


def test_drawings_named_by_file_with_years_months_regression_and_a_group(tmp_path, capsys):
    data = tmp_path / "drawings"
    ages = _drawings(data)
    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "filename", "--pattern", DRAWINGS_PATTERN,
                    "--data.converters={age: years.months}", "--regression", "age", "--group", "id")

    assert set(metrics["tasks"]) == {"age_group", "author", "age", "subject"}
    assert metrics["tasks"]["age"]["kind"] == "regression" and metrics["tasks"]["author"]["num_classes"] == 2
    for p in read_csv(run / "predictions.csv"):
        assert float(p["age_true"]) == ages[Path(p["file"]).name]  # months, not years.months
    why = skipped(run)
    assert why["scan-0001.jpeg"].startswith("file name does not match --pattern")
    assert "cannot convert 'age' with years.months" in why["p3-99w-5.13f.jpeg"]
    assert metrics["images"] == {"found": 32, "used": 30, "skipped": 2}
    reconciles(metrics, run)
    split_of: dict[str, set[str]] = {}
    for row in read_csv(run / "splits.csv"):
        split_of.setdefault(Path(row["file"]).name.split("-")[1][:2], set()).add(row["split"])
    assert len(split_of) == 10 and all(len(s) == 1 for s in split_of.values())  # no child straddles splits


def test_combined_task_has_one_class_per_combination(tmp_path, capsys):
    data = tmp_path / "drawings"
    _drawings(data)
    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "filename", "--pattern", DRAWINGS_PATTERN,
                    "--data.converters={age: years.months}", "--regression", "age",
                    "--combine", "age_group+subject", "--tasks", "age,age_group+subject")

    assert list(metrics["tasks"]) == ["age", "age_group+subject"]
    joint = metrics["tasks"]["age_group+subject"]
    assert joint["kind"] == "classification" and joint["num_classes"] == 4
    header = read_csv(run / "eval" / "age_group+subject" / "confusion.csv")[0]
    assert sorted(list(header)[1:]) == ["nu|f", "nu|m", "p3|f", "p3|m"]
    for p in read_csv(run / "predictions.csv"):
        group, rest = Path(p["file"]).name.split("-", 1)
        assert p["age_group+subject_true"] == f"{group}|{rest.split('.')[-2][-1]}"
    reconciles(metrics, run)


def test_a_training_split_one_more_than_a_multiple_of_the_batch_size_trains(tmp_path, capsys):
    data = tmp_path / "data"
    for i in range(24):  # splits 17 / 2 / 5: batches of 16 and 1
        shapes(data / "ab"[i % 2] / f"{i}.png", seed=i)
    assert train(capsys, data, tmp_path / "run", "--source", "folders")["splits"]["train"] == 17

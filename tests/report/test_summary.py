"""The tables of a tiny trained run: metrics, data, command and config."""

import json

from toonlab.report.files import ReportFolder
from toonlab.report.summary import (
    command_section,
    config_section,
    data_section,
    metrics_section,
    pct,
)


def test_command_and_config_are_the_runs_own(trained_run):
    folder = ReportFolder.open(trained_run)
    command = command_section(folder)
    assert command.startswith('<section id="command">')
    assert "toonlab train" in command and "--image-size 16" in command and "fp32" in command
    config = config_section(folder)
    assert "image_size: 16" in config and "widths:" in config


def test_data_lists_counts_split_skipped_files_and_duplicates(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    (trained_run / "skipped.csv").write_text(
        "file,reason\n" + "".join(f"bad{i}.png,zero-byte file\n" for i in range(25)) + '"<x>.png",not an image\n')
    html = data_section(ReportFolder.open(trained_run))
    assert html.startswith('<section id="data">')
    found = metrics["images"]["found"]
    assert f'<td class="num">{found}</td>' in html
    assert f"test images</td><td>{metrics['splits']['test']}</td>" in html
    assert f"stratified by</td><td>{metrics['stratified_by']}</td>" in html and "no groups" in html
    assert "Skipped files (26)" in html and "bad19.png" in html and "bad20.png" not in html
    assert "and 6 more in skipped.csv" in html and "&lt;x&gt;.png" not in html  # the 26th is counted, not shown
    clusters = metrics["duplicates"]["clusters"]
    assert f"{clusters} clusters of exact or near-duplicate images" in html


def test_metrics_table_shows_accuracy_and_baselines(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    html = metrics_section(ReportFolder.open(trained_run))
    for name, m in metrics["tasks"].items():
        row = f"<td>{name}</td><td class=\"num\">{m['num_classes']}</td><td class=\"num\">{pct(m['accuracy'])}</td>"
        assert row in html
        assert pct(m["baseline_accuracy"]) in html and pct(m["macro_f1"]) in html
    assert "acc where drawn" not in html  # every label of the toy set is drawn
    assert '<tr class="total"><td>mean</td>' in html


def test_accuracy_where_drawn_and_regression_columns(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    metrics["tasks"]["color"].update(accuracy_visible=0.875, drawn_fraction=0.75)
    metrics["tasks"]["age"] = {"kind": "regression", "mae": 1.25, "rmse": 2.0, "mape": 0.1, "baseline_mae": 3.5,
                               "n_test": 8}
    (trained_run / "metrics.json").write_text(json.dumps(metrics))
    html = metrics_section(ReportFolder.open(trained_run))
    assert "acc where drawn</th><th>drawn</th>" in html
    assert '<td class="num">87.50%</td><td class="num">75.0%</td>' in html
    assert "<td>age</td><td class=\"num\">1.25</td><td class=\"num\">2</td><td class=\"num\">10.00%</td>" in html
    assert "3.5" in html


def test_sections_are_left_out_without_their_files(trained_run):
    (trained_run / "metrics.json").unlink()
    (trained_run / "skipped.csv").unlink()
    folder = ReportFolder.open(trained_run)  # a run stopped before its test evaluation: only config.yaml
    assert command_section(folder) is None and metrics_section(folder) is None
    assert config_section(folder) is not None
    assert data_section(folder) is None


def test_advice_is_no_longer_in_the_metrics_table(trained_run):
    assert json.loads((trained_run / "metrics.json").read_text())["advice"]
    assert "Advice" not in metrics_section(ReportFolder.open(trained_run))  # it opens the page: test_result.py


def test_data_lists_duplicates_whose_labels_disagree(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    conflicts = [{"task": "color", "cluster": n, "files": [f"c{n}.png", f"d{n}.png"], "labels": ["red", ""],
                  "splits": ["train", "dropped"], "pixels": "near"} for n in range(1, 13)]
    metrics["duplicates"] = {"clusters": 0, "images": 0, "cross_split": [], "conflicts": conflicts}
    (trained_run / "metrics.json").write_text(json.dumps(metrics))
    html = data_section(ReportFolder.open(trained_run))
    assert "Label conflicts (12)" in html and "12 duplicate clusters carry different labels" in html
    assert "<td>c10.png, d10.png</td><td>red, (none)</td><td>train, dropped</td>" in html
    assert "c11.png" not in html and "and 2 more in conflicts.csv" in html
    del metrics["duplicates"]["conflicts"]  # a run from before conflicts were listed
    (trained_run / "metrics.json").write_text(json.dumps(metrics))
    assert "Label conflicts" not in data_section(ReportFolder.open(trained_run))

"""The result section that opens the report: headline, bar chart against the baseline, warnings, advice."""

import json

from toonlab.report import write_report
from toonlab.report.files import ReportFolder
from toonlab.report.html import esc
from toonlab.report.result import beats_baseline, result_section
from toonlab.report.summary import pct


def _metrics(run) -> dict:
    return json.loads((run / "metrics.json").read_text())


def _save(run, metrics: dict) -> None:
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_the_page_opens_with_the_result_and_ends_with_command_and_config(trained_run, sections):
    metrics = _metrics(trained_run)
    html = write_report(trained_run).read_text()
    found = list(sections(html))
    assert found[0] == "result" and found[-2:] == ["command", "config"]
    headline = f'<span class="big">{pct(metrics["mean_accuracy"])}</span> mean test accuracy over 2 classification tasks'
    assert headline in html
    assert html.index(headline) < html.index('<section id="metrics">') < html.index('<section id="config">')
    assert html.index('<a href="#result">') < html.index('<a href="#config">')
    result = sections(html)["result"]
    assert result.count('class="bar acc"') == 2 and result.count('class="baseline"') == 2  # one bar per task
    assert f"on the test split ({metrics['splits']['test']} images)" in result and "seed 0" in result


def test_tasks_that_do_not_beat_their_baseline_are_warned_about(trained_run):
    metrics = _metrics(trained_run)
    metrics["tasks"]["color"].update(accuracy=0.5, baseline_accuracy=0.5)  # a tie does not beat it
    metrics["tasks"]["size"].update(accuracy=0.9, baseline_accuracy=0.6)
    for task in metrics["tasks"].values():  # as evaluation writes it; without the key the numbers decide
        task.pop("beats_baseline", None)
    metrics.pop("duplicates")
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    assert '<ul id="warnings" class="warnings">' in html
    assert "color does not beat its majority-class baseline: test accuracy 50.00% vs 50.00%" in html
    assert "size does not" not in html and html.count('fill="#e45756"') == 2  # color's bar and its legend entry
    metrics["tasks"]["color"]["beats_baseline"] = True  # the flag of metrics.json wins over the comparison
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    assert "Warnings" not in html and "No warnings: every task beats its majority-class baseline." in html


def test_duplicates_across_splits_and_skipped_images_are_warnings(trained_run):
    metrics = _metrics(trained_run)
    metrics["duplicates"] = {"clusters": 3, "images": 7, "cross_split": [{"files": ["a", "b"], "splits": ["train", "test"]}]}
    metrics["images"]["skipped"] = 2
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    assert "1 cluster of exact or near-duplicate images straddles the train/val/test splits" in html
    assert "--duplicates group" in html and "2 images could not be used and were skipped" in html


def test_accuracy_where_drawn_and_regression_tasks(trained_run):
    metrics = _metrics(trained_run)
    metrics["tasks"]["color"].update(accuracy_visible=0.875, drawn_fraction=0.75)
    metrics["tasks"]["age"] = {"kind": "regression", "mae": 1.25, "baseline_mae": 3.5, "n_test": 8}
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    where = (0.875 + metrics["tasks"]["size"]["accuracy"]) / 2  # size is always drawn: its accuracy counts
    assert f'<span class="big">{pct(where)}</span> where the label is drawn (a task whose label' in html
    assert html.count('class="bar drawn"') == 1 and html.count('class="bar acc"') == 2  # regression has no bar
    assert "Regression, test age: MAE 1.25 (baseline 3.5)." in html and "age does not" not in html


def test_the_advice_lines_follow_the_warnings_escaped(trained_run):
    metrics = _metrics(trained_run)
    assert metrics["advice"]  # one epoch on 28 images: no task is fitted yet
    html = result_section(ReportFolder.open(trained_run))
    assert html.index("<h3>Warnings</h3>") < html.index("<h3>Advice</h3>")
    for a in metrics["advice"]:
        assert f"<li>{esc(a['message'])}</li>" in html
    metrics["advice"] = [{"task": "color", "kind": "baseline", "message": "color <b>stays</b> near its baseline"}]
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    assert '<ul id="advice"><li>color &lt;b&gt;stays&lt;/b&gt; near its baseline</li></ul>' in html
    metrics["advice"] = []
    _save(trained_run, metrics)
    assert "Advice" not in result_section(ReportFolder.open(trained_run))


def test_a_folds_parent_shows_means_with_their_spread(folds_parent, sections):
    html = sections(write_report(folds_parent).read_text())["result"]
    mean = _metrics(folds_parent)["mean_accuracy"]
    assert f'<span class="big">{pct(mean["mean"])} ± {pct(mean["std"])}</span>' in html
    assert "mean test accuracy over the 2 folds (%)" in html and "on the test split of each of the 2 folds" in html
    assert html.count('class="bar acc"') == 2


def test_no_tasks_no_result_and_beats_baseline_needs_numbers(trained_run):
    (trained_run / "metrics.json").unlink()
    assert result_section(ReportFolder.open(trained_run)) is None
    assert beats_baseline({"accuracy": 0.7}) is None
    assert beats_baseline({"accuracy": {"mean": 0.7}, "baseline_accuracy": {"mean": 0.6}}) is True
    assert beats_baseline({"kind": "regression", "mae": 2.0, "baseline_mae": 1.5}) is False


def test_duplicates_whose_labels_disagree_are_a_warning_until_dropped(trained_run):
    metrics = _metrics(trained_run)
    conflict = {"task": "color", "cluster": 1, "files": ["a.png", "b.png"], "labels": ["red", "blue"],
                "splits": ["train", "test"], "pixels": "identical"}
    metrics["duplicates"] = {"clusters": 1, "images": 2, "cross_split": [], "conflicts": [conflict]}
    _save(trained_run, metrics)
    html = result_section(ReportFolder.open(trained_run))
    assert "1 cluster of duplicate images carries different labels for the same task, so the network" in html
    assert "--duplicates drop-conflicts" in html
    conflict["splits"] = ["train", "dropped"]  # --duplicates drop: one copy's label kept
    _save(trained_run, metrics)
    assert "drop kept the first copy&#x27;s label" in result_section(ReportFolder.open(trained_run))
    conflict["splits"] = ["dropped", "dropped"]  # --duplicates drop-conflicts: nothing left to warn about
    _save(trained_run, metrics)
    assert "different labels" not in result_section(ReportFolder.open(trained_run))

"""The learning curves: one labelled accuracy (or MAE) panel and one loss panel per task, from history.csv."""

import csv
import re

from toonlab.report.curves import curves_section, task_panels
from toonlab.report.files import ReportFolder
from toonlab.testing import read_csv


def _panel_titles(html: str) -> list[str]:
    return re.findall(r'class="panel-title">([^<]*)</text>', html)


def _write_history(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_shared_run_gets_a_labelled_pair_of_panels_per_task(trained_run):
    html = curves_section(ReportFolder.open(trained_run))
    assert html.startswith('<section id="curves">') and "<img" not in html  # inline SVG, no picture files
    assert _panel_titles(html) == ["all tasks · mean accuracy", "all tasks · loss", "color · accuracy", "color · loss",
                                   "size · accuracy", "size · loss"]
    assert html.count('<figure class="curve"') == 3 and html.count("<svg") == 6
    assert html.count(">epoch</text>") == 6  # every panel labels its axes ...
    assert html.count(">accuracy (%)</text>") == 3 and html.count(">cross-entropy</text>") == 2
    assert ">sum of task losses</text>" in html
    assert html.count(">train</text>") == 6 and html.count(">val</text>") == 6  # ... and has a legend


def test_separate_run_gets_one_pair_per_task_network_and_regression_gets_mae(trained_run):
    rows = read_csv(trained_run / "history.csv")
    (trained_run / "history.csv").unlink()
    for task in ("color", "size"):  # separate mode: one history per task network, with only that task's columns
        _write_history(trained_run / "tasks" / task / "history.csv",
                       [{k: v for k, v in r.items() if "/" not in k or k.endswith(f"/{task}")} for r in rows])
    html = curves_section(ReportFolder.open(trained_run))
    assert _panel_titles(html) == ["color · accuracy", "color · loss", "size · accuracy", "size · loss"]
    _write_history(trained_run / "tasks" / "size" / "history.csv",
                   [{"epoch": r["epoch"], "train_mae/size": "2.5", "val_mae/size": "3", "train_loss/size": "1",
                     "val_loss/size": "1.5"} for r in rows])
    html = curves_section(ReportFolder.open(trained_run))
    assert "size · MAE" in _panel_titles(html) and ">MAE (label units)</text>" in html and ">MSE (scaled)</text>" in html


def test_no_history_no_section(trained_run):
    (trained_run / "history.csv").write_text("epoch,train_loss\n")
    assert curves_section(ReportFolder.open(trained_run)) is None
    (trained_run / "history.csv").unlink()
    assert curves_section(ReportFolder.open(trained_run)) is None


def test_task_panels_read_the_column_names():
    row = {"epoch": "1", "train_loss": "1", "train_acc/hair": "0.5", "val_loss/hair": "1", "val_mae/age": "2",
           "train_loss/a/b": "1", "lr": "0.01"}
    assert [(p.task, p.metric) for p in task_panels([row])] == [("hair", "acc"), ("age", "mae"), ("a/b", "acc")]
    assert task_panels([]) == []

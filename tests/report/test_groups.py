"""Folders of many runs: a k-fold parent (mean ± std, member reports) and a sweep folder."""

import json
import shutil

from toonlab.report import write_report
from toonlab.report.files import ReportFolder
from toonlab.report.groups import members_section


def test_folds_parent_shows_mean_std_and_links_member_reports(folds_parent, sections):
    parent = folds_parent
    summary = json.loads((parent / "metrics.json").read_text())
    assert ReportFolder.open(parent).kind == "members"
    html = write_report(parent).read_text()
    assert list(sections(html)) == ["result", "members", "command", "config"]
    members = sections(html)["members"]
    acc = summary["tasks"]["color"]["accuracy"]
    assert f"{100 * acc['mean']:.2f}% ± {100 * acc['std']:.2f}%" in members
    assert '<a href="fold-1/report.html">report</a>' in members and "<th>fold-2</th>" in members
    for name in ("fold-1", "fold-2"):
        assert "id=\"metrics\"" in (parent / name / "report.html").read_text()


def test_members_section_only_for_a_parent(trained_run):
    assert members_section(ReportFolder.open(trained_run)) is None


def test_sweep_folder_ranked_trials_plots_and_best(sweep_dir, sections):
    html = write_report(sweep_dir).read_text()
    parts = sections(html)
    assert list(parts) == ["trials", "sweep-plots", "best", "config"]
    assert "Trials (3)" in parts["trials"] and "<th>train.lr</th>" in parts["trials"]
    assert parts["trials"].index("trials/p000") < parts["trials"].index("trials/p001") and "&lt;0.5&gt;" in parts["trials"]
    assert parts["sweep-plots"].count("<img") == 1 and "lr: 0.01" in parts["best"] and "grid" in parts["config"]


def test_results_csv_alone_is_not_a_sweep(trained_run, sweep_dir):
    shutil.copy(sweep_dir / "results.csv", trained_run / "results.csv")
    assert ReportFolder.open(trained_run).kind == "run"  # a sweep folder also holds study.db or sweep.yaml


def test_diagnose_on_a_run_keeps_its_table_for_the_report(trained_run, sections, capsys):
    from toonlab.cli import main

    assert "diagnose" not in sections(write_report(trained_run).read_text())
    assert main(["diagnose", str(trained_run)]) == 0
    table = (trained_run / "diagnose.txt").read_text()
    assert table.strip() and table.strip() in capsys.readouterr().out
    html = (trained_run / "report.html").read_text()  # diagnose refreshed the report
    assert "diagnose" in sections(html) and "receptive" in sections(html)["diagnose"]

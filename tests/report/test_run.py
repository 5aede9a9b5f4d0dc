"""write_report and refresh_report on whole folders, the `report` verb, and the verbs that refresh the report."""

import base64
import json
import logging
import re
import sys
import types
from pathlib import Path

import pytest
from PIL import Image

from toonlab.cli import main
from toonlab.demo import DemoResult
from toonlab.errors import ToonlabError
from toonlab.report import REPORT_FILE, refresh_report, write_report
from toonlab.report import run as report_run

ALL_RUN_SECTIONS = ["result", "metrics", "curves", "confusion", "mistakes", "robustness", "explain", "data", "command",
                    "config"]


def assert_self_contained(html: str) -> None:
    """No script, no style sheet or image from elsewhere, no web address in any src or href."""
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<iframe" not in html.lower()
    for attr, url in re.findall(r'\b(src|href)="([^"]*)"', html):
        if attr == "src":
            assert url.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")), url
        else:
            assert not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url), url  # "#metrics", "fold-1/report.html", "explain/..."
    assert "http://" not in html and "https://" not in html


def test_a_run_with_every_part_has_every_section_in_order(full_run, sections):
    path = write_report(full_run)
    assert path == full_run / REPORT_FILE
    html = path.read_text()
    assert list(sections(html)) == ALL_RUN_SECTIONS
    assert_self_contained(html)
    for sid in ALL_RUN_SECTIONS:
        assert f'<a href="#{sid}">' in html


def test_a_run_with_missing_optional_parts_still_gets_a_report(trained_run, sections):
    for name in ("history.csv", "skipped.csv", "predictions.csv"):
        (trained_run / name).unlink()
    for path in sorted(trained_run.glob("eval/**/*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    metrics = json.loads((trained_run / "metrics.json").read_text())
    del metrics["duplicates"], metrics["command"]
    (trained_run / "metrics.json").write_text(json.dumps(metrics))
    html = write_report(trained_run).read_text()
    assert list(sections(html)) == ["result", "metrics", "data", "command", "config"]
    assert "The command line was not recorded" in html
    assert_self_contained(html)


def test_unreadable_files_leave_their_part_out(trained_run, sections, caplog):
    (trained_run / "metrics.json").write_text("{ not json")
    (trained_run / "history.csv").write_text("")
    with caplog.at_level(logging.WARNING):
        html = write_report(trained_run).read_text()
    assert "metrics" not in sections(html) and "curves" not in sections(html) and "config" in sections(html)
    assert "not valid JSON" in caplog.text


def test_not_a_run_is_a_user_error(tmp_path):
    with pytest.raises(ToonlabError, match="No folder"):
        write_report(tmp_path / "nope")
    with pytest.raises(ToonlabError, match="not a toonlab run or sweep folder"):
        write_report(tmp_path)


def test_refresh_never_raises_and_can_be_switched_off(trained_run, monkeypatch, caplog):
    (trained_run / REPORT_FILE).unlink()
    config = trained_run / "config.yaml"
    config.write_text(config.read_text().replace("report: true", "report: false"))
    assert "report: false" in config.read_text()
    assert refresh_report(trained_run) is None and not (trained_run / REPORT_FILE).exists()
    assert refresh_report(trained_run, force=True) == trained_run / REPORT_FILE

    def broken(run):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_run, "write_report", broken)
    with caplog.at_level(logging.WARNING):
        assert refresh_report(trained_run, force=True) is None
    assert "disk full" in caplog.text and "toonlab report" in caplog.text


def test_report_verb_prints_the_path_and_refuses_a_non_run(trained_run, tmp_path, capsys):
    assert main(["report", str(trained_run)]) == 0
    assert capsys.readouterr().out.strip() == f"Report: {trained_run / REPORT_FILE}"
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "toonlab report: error: No folder" in capsys.readouterr().err


def test_train_wrote_it_and_eval_refreshes_it(trained_run, capsys):
    assert (trained_run / REPORT_FILE).exists()  # `toonlab train` (the fixture) ended with it
    config = trained_run / "config.yaml"
    config.write_text(config.read_text().replace("plots: false", "plots: true"))
    assert main(["eval", str(trained_run), "-q"]) == 0
    assert f"Report: {trained_run / REPORT_FILE}" in capsys.readouterr().out
    png = (trained_run / "eval" / "color" / "confusion.png").read_bytes()
    assert base64.b64encode(png).decode() in (trained_run / REPORT_FILE).read_text()


def test_explain_refreshes_it(trained_run, monkeypatch, capsys):
    def explain_run(run, images, **options):  # stands in for Captum: one panel
        panel = Path(run) / "explain" / "toy00001" / "color.png"
        panel.parent.mkdir(parents=True)
        Image.new("RGB", (60, 24), (240, 200, 0)).save(panel)
        return [panel]

    fake = types.ModuleType("toonlab.explain.run")
    fake.explain_run, fake.score_run = explain_run, None
    monkeypatch.setitem(sys.modules, "toonlab.explain.run", fake)
    (trained_run / REPORT_FILE).unlink()
    assert main(["explain", str(trained_run), "-q"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"Report: {trained_run / REPORT_FILE}")
    assert 'id="explain"' in (trained_run / REPORT_FILE).read_text()


def test_demo_ends_by_printing_the_report_path(trained_run, monkeypatch, capsys):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    result = DemoResult(run=trained_run, data=trained_run, metrics=metrics, seconds=1.0, synth_seconds=0.0)
    monkeypatch.setattr("toonlab.demo.demo", lambda cfg, **kwargs: result)
    assert main(["demo", "--dir", str(trained_run.parent), "-q"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"Report: {trained_run / REPORT_FILE}"

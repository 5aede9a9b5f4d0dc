"""The explanation section: panels from RUN/explain/<image>/<task>.png and the scores table."""

import io

from PIL import Image

from toonlab.report import explanations
from toonlab.report.explanations import explain_section
from toonlab.report.files import ReportFolder


def _panel(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 16), (10, 120, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())


def test_no_explain_folder_no_section(trained_run):
    assert explain_section(ReportFolder.open(trained_run)) is None


def test_panels_and_scores(trained_run):
    for image in ("toy00001", "toy00002"):
        for task in ("color", "size"):
            _panel(trained_run / "explain" / image / f"{task}.png")
    (trained_run / "explain" / "scores.csv").write_text(
        "task,method,mass,chance,ratio,hit_rate,n\ncolor,saliency,0.4200,0.2100,2.0000,0.7500,8\n")
    html = explain_section(ReportFolder.open(trained_run))
    assert html.startswith('<section id="explain">') and html.count("<img") == 4
    assert "<figcaption>toy00001/color</figcaption>" in html and "4 panels." in html
    assert "<td>saliency</td>" in html and "42.00%" in html and "2.00×" in html and "75.00%" in html


def test_panels_are_capped_and_counted(trained_run, monkeypatch):
    monkeypatch.setattr(explanations, "MAX_PANELS", 2)
    for i in range(5):
        _panel(trained_run / "explain" / f"img{i}" / "color.png")
    (trained_run / "explain" / "broken").mkdir()
    (trained_run / "explain" / "broken" / "color.png").write_bytes(b"not a png")
    html = explain_section(ReportFolder.open(trained_run))
    assert html.count("<img") == 2 and "and 4 more panels under explain/" in html  # 6 files, one unreadable

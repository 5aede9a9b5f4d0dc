"""The explanation section: panels from RUN/explain/<image>/<task>.png (embedded as thumbnails that link
to the full size) and the scores table; and a report with real explanation panels stays under 3 MB."""

import base64
import io
import re

import numpy as np
from PIL import Image

from toonlab.cli import main
from toonlab.report import explanations, write_report
from toonlab.report.explanations import explain_section
from toonlab.report.figures import PANEL_WIDTH, panel_thumbnail
from toonlab.report.files import ReportFolder

MAX_REPORT_BYTES = 3_000_000


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
    assert '<figcaption>toy00001/color\n · \n<a href="explain/toy00001/color.png">full size</a></figcaption>' in html
    assert '<a href="explain/toy00002/size.png"><img src="data:image/png;base64,' in html  # small: kept as PNG
    assert "4 panels; click one for its full size." in html
    assert "<td>saliency</td>" in html and "42.00%" in html and "2.00×" in html and "75.00%" in html


def test_panels_are_capped_and_counted(trained_run, monkeypatch):
    monkeypatch.setattr(explanations, "MAX_PANELS", 2)
    for i in range(5):
        _panel(trained_run / "explain" / f"img{i}" / "color.png")
    (trained_run / "explain" / "broken").mkdir()
    (trained_run / "explain" / "broken" / "color.png").write_bytes(b"not a png")
    html = explain_section(ReportFolder.open(trained_run))
    assert html.count("<img") == 2 and "and 4 more panels under explain/" in html  # 6 files, one unreadable


def test_a_large_panel_is_embedded_as_a_smaller_jpeg_no_wider_than_half_the_page(tmp_path):
    rng = np.random.default_rng(0)
    big = tmp_path / "big.png"
    Image.fromarray(rng.integers(0, 256, (300, 1300, 4), dtype=np.uint8)).save(big)  # noise: the worst case
    data, mime = panel_thumbnail(big)
    assert mime == "image/jpeg" and len(data) < big.stat().st_size / 10
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (PANEL_WIDTH, 129) and im.mode == "RGB"
    small = tmp_path / "small.png"
    Image.new("RGB", (200, 80), (1, 2, 3)).save(small)
    assert panel_thumbnail(small) == (small.read_bytes(), "image/png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert panel_thumbnail(tmp_path / "broken.png") is None


def test_a_report_with_real_explanation_panels_stays_under_3_mb(trained_run, capsys):
    assert main(["explain", str(trained_run), "-q"]) == 0  # Captum on the run's 8 test images x 2 tasks
    panels = sorted((trained_run / "explain").rglob("*.png"))
    rng = np.random.default_rng(1)
    for i in range(explanations.MAX_PANELS - len(panels) + 4):  # more than the page embeds; noise: the worst case
        folder = trained_run / "explain" / f"noise{i:02d}"
        folder.mkdir()
        Image.fromarray(rng.integers(0, 256, (316, 1328, 3), dtype=np.uint8)).save(folder / "color.png")
    full = sum(p.stat().st_size for p in (trained_run / "explain").rglob("*.png"))
    html = write_report(trained_run).read_text()
    assert len(panels) == 16 and full > 2 * MAX_REPORT_BYTES  # the full-size panels alone would not fit
    assert len(html.encode()) < MAX_REPORT_BYTES
    section = html[html.index('<section id="explain">'):]
    links = re.findall(r'<a href="(explain/[^"]+)"><img src="data:image/(?:png|jpeg);base64,([^"]+)"', section)
    assert len(links) == explanations.MAX_PANELS
    for href, encoded in links:
        assert (trained_run / href).is_file()
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as im:
            assert im.width <= PANEL_WIDTH

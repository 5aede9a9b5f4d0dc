"""Confusion matrices, mistakes with thumbnails and the robustness table (learning curves: test_curves.py)."""

import base64
import io
import json

import numpy as np
from PIL import Image

from toonlab.report.evaluation import confusion_section, mistakes_section, robustness_section
from toonlab.report.figures import thumbnail
from toonlab.report.files import ReportFolder
from toonlab.testing import read_csv


def _png(color=(200, 30, 30), size=(20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_confusion_drawn_from_csv_without_png_and_embedded_with_png(trained_run):
    assert not list(trained_run.glob("eval/*/confusion.png"))  # TINY_TRAIN: --eval.plots=false
    html = confusion_section(ReportFolder.open(trained_run))
    assert html.count('<table class="confusion">') == 2 and "<img" not in html
    png = _png()
    (trained_run / "eval" / "color" / "confusion.png").write_bytes(png)
    html = confusion_section(ReportFolder.open(trained_run))
    assert base64.b64encode(png).decode() in html and html.count('<table class="confusion">') == 1
    assert html.index("color") < html.index("size")  # metrics.json's task order


def test_mistakes_show_thumbnails_and_a_placeholder_for_a_missing_image(trained_run, toy_root):
    path = trained_run / "eval" / "color" / "mistakes.csv"
    rows = read_csv(path)
    assert rows, "the 1-epoch toy run should make mistakes"
    path.write_text(path.read_text() + "gone/<missing>.png,0,1,0.99\n")
    html = mistakes_section(ReportFolder.open(trained_run))
    assert html.startswith('<section id="mistakes">') and f"Images are read from {toy_root}" in html
    assert 'class="thumb"' in html and "&lt;missing&gt;.png" in html and 'class="missing"' in html
    assert rows[0]["file"] in html and f"{100 * float(rows[0]['confidence']):.2f}%" in html
    assert "misclassified" in html  # the summary line from metrics.json


def test_mistakes_without_the_data_folder_show_placeholders_only(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    metrics["data"] = str(trained_run / "no-such-data")
    (trained_run / "metrics.json").write_text(json.dumps(metrics))
    html = mistakes_section(ReportFolder.open(trained_run))
    assert 'class="thumb"' not in html and html.count('class="missing"') >= 1


def test_regression_errors_are_listed(trained_run):
    folder = trained_run / "eval" / "age"
    folder.mkdir()
    (folder / "errors.csv").write_text("file,true,pred,error\n0/toy00000.png,30,25.5,-4.5\n")
    html = mistakes_section(ReportFolder.open(trained_run))
    assert "<th>error</th>" in html and "-4.5" in html


def test_robustness_table(trained_run):
    assert robustness_section(ReportFolder.open(trained_run)) is None
    clean = {"mean_accuracy": 0.9, "tasks": {"color": {"kind": "classification", "accuracy": 0.9, "n": 4}}}
    vflip = {"transform": "vflip", "severity": 1.0, "mean_accuracy": 0.6, "change_pp": -30.0,
             "tasks": {"color": {"kind": "classification", "accuracy": 0.6, "n": 4}}}
    result = {"seed": 0, "n_images": 4, "split": "val", "clean": clean, "transforms": [vflip],
              "meanings": {"vflip": "upside down <s unused>"}}
    (trained_run / "robustness.json").write_text(json.dumps(result))
    html = robustness_section(ReportFolder.open(trained_run))
    assert html.startswith('<section id="robustness">') and "On the val split, 4 images" in html
    assert "<td>vflip</td>" in html and "-30.00" in html and "60.00%" in html and "90.00%" in html
    assert "upside down &lt;s unused&gt;" in html


def test_thumbnails_keep_tiny_images_sharp_and_shrink_large_ones_to_the_smaller_format(tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.new("RGBA", (24, 24), (200, 30, 30, 255)).save(tiny)
    data, mime = thumbnail(tiny)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (72, 72)  # grown 3x by whole pixels
    rng = np.random.default_rng(0)
    large = tmp_path / "large.png"
    Image.fromarray(rng.integers(0, 256, (256, 256, 4), dtype=np.uint8)).save(large)  # noise: JPEG wins
    data, mime = thumbnail(large)
    assert mime == "image/jpeg" and Image.open(io.BytesIO(data)).size == (72, 72)
    flat = tmp_path / "flat.png"
    Image.new("RGB", (256, 128), (0, 0, 255)).save(flat)  # one colour: PNG wins
    data, mime = thumbnail(flat)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (72, 36)


def test_a_regression_task_without_scatter_png_gets_an_svg_chart_from_predictions(tmp_path):
    (tmp_path / "eval" / "age").mkdir(parents=True)
    (tmp_path / "eval" / "age" / "errors.csv").write_text("file,true,pred,error\na.png,30,25.5,-4.5\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"tasks": {"age": {"kind": "regression", "mae": 2.25}}}))
    (tmp_path / "predictions.csv").write_text("file,age_true,age_pred,age_prob\na.png,30,25.5,\nb.png,,31,\n"
                                              "c.png,20,20,\n")
    html = confusion_section(ReportFolder.open(tmp_path))
    assert 'class="chart scatter"' in html and "age · MAE 2.25" in html and html.count("<circle") == 2

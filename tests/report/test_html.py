"""The HTML building blocks: escaping, tables, embedded images, the page skeleton."""

import base64

from toonlab.report.html import Raw, esc, figure, image, page, section, table, tag


def test_text_is_escaped_and_raw_markup_is_kept():
    assert esc('<b a="1">&') == "&lt;b a=&quot;1&quot;&gt;&amp;"
    assert esc(Raw("<b>x</b>")) == "<b>x</b>"
    assert tag("p", "<script>", title='"x"') == '<p title="&quot;x&quot;">&lt;script&gt;</p>'


def test_table_aligns_numbers_and_marks_the_total_row():
    html = table(["task", "acc"], [["a<b", "12.50%"], ["mean", "10.00% ± 1.00%"]], total=True)
    assert "<td>a&lt;b</td>" in html and '<td class="num">12.50%</td>' in html
    assert '<tr class="total"><td>mean</td><td class="num">10.00% ± 1.00%</td></tr>' in html
    assert "<th>" not in table(None, [["seed", "0"]]) and 'class="num"' not in table(None, [["seed", "0"]])


def test_images_are_data_uris():
    png = b"\x89PNG\r\n\x1a\nfake"
    html = figure(png, "cap <1>")
    assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in html
    assert "<figcaption>cap &lt;1&gt;</figcaption>" in html and 'alt="cap &lt;1&gt;"' in html
    assert 'class="thumb"' in image(png, "x", cls="thumb")


def test_page_has_inline_style_contents_and_no_script():
    doc = page("toonlab report: <r>", "sub", [("metrics", "Metrics", section("metrics", "Test metrics", "x"))])
    assert doc.startswith("<!DOCTYPE html>") and "<style>" in doc and "<script" not in doc
    assert '<a href="#metrics">Metrics</a>' in doc and '<section id="metrics"><h2>Test metrics</h2>' in doc
    assert "<title>toonlab report: &lt;r&gt;</title>" in doc

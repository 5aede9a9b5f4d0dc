"""The report in a real headless Chromium: every section is laid out, every image decodes, nothing is
fetched from anywhere, the console stays clean; a full-page screenshot is saved in tmp_path.

Skipped, with the reason, where Chromium cannot be installed from Debian's packages or Playwright is
missing (see conftest.py).
"""

from pathlib import Path

from toonlab.report import write_report

RUN_SECTIONS = ["result", "metrics", "curves", "confusion", "mistakes", "robustness", "explain", "data", "command",
                "config"]
MEMBER_SECTIONS = [s for s in RUN_SECTIONS if s not in ("robustness", "explain")]


def render(browser, html_file: Path, screenshot: Path) -> dict:
    """Open the page; return what it shows: sections with their height, images, console and network."""
    page = browser.new_page()
    console, requests = [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: console.append(f"requestfailed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html_file.resolve().as_uri(), wait_until="load")
    shown = page.evaluate("""() => ({
        sections: Array.from(document.querySelectorAll('section')).map(s => [s.id, s.getBoundingClientRect().height]),
        images: Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]),
        charts: Array.from(document.querySelectorAll('svg.chart')).map(c => [c.closest('section').id,
            c.getBoundingClientRect().width, c.getBoundingClientRect().height]),
        first: document.querySelector('section').innerText.slice(0, 200),
        scripts: document.scripts.length,
    })""")
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return {**shown, "console": console, "requests": requests}


def check_page(shown: dict, expected: list[str], html_file: Path) -> None:
    assert [sid for sid, _ in shown["sections"]] == expected
    assert all(height > 20 for _, height in shown["sections"]), shown["sections"]
    broken = [img for img in shown["images"] if not (img[1] and img[2] > 0 and img[3] > 0)]
    assert not broken, f"images that did not decode: {broken}"
    assert shown["scripts"] == 0
    assert shown["console"] == [], shown["console"]
    assert shown["requests"] == [html_file.resolve().as_uri()], shown["requests"]  # the page itself, nothing else


def test_run_report_renders_in_chromium(browser, full_run, tmp_path):
    html_file = write_report(full_run)
    shown = render(browser, html_file, tmp_path / "run-report.png")
    check_page(shown, RUN_SECTIONS, html_file)
    assert len(shown["images"]) >= 1 + 5  # an explanation panel, mistake thumbnails
    charts = [sid for sid, width, height in shown["charts"] if width > 100 and height > 50]
    assert charts == ["result"] + ["curves"] * 6  # the bar chart, then accuracy and loss of all tasks, color, size
    assert "mean test accuracy" in shown["first"]
    assert (tmp_path / "run-report.png").stat().st_size > 10_000
    print(f"\nscreenshot: {tmp_path / 'run-report.png'}")


def test_folds_parent_and_sweep_reports_render_in_chromium(browser, folds_parent, sweep_dir, tmp_path):
    html_file = write_report(folds_parent)
    check_page(render(browser, html_file, tmp_path / "folds.png"), ["result", "members", "command", "config"], html_file)
    member = folds_parent / "fold-1" / "report.html"
    check_page(render(browser, member, tmp_path / "fold-1.png"), MEMBER_SECTIONS, member)
    html_file = write_report(sweep_dir)
    check_page(render(browser, html_file, tmp_path / "sweep.png"), ["trials", "sweep-plots", "best", "config"], html_file)

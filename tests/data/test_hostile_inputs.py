"""One test per loader bug the fuzz tests (test_fuzz_loaders.py) found, and the hostile cases they cannot
draw: unreadable files (chmod 000) and a handful of hostile folders through the CLI (exit code 2, no traceback)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hostile
from toonlab.config import DataConfig
from toonlab.data.check import check_data, format_check
from toonlab.data.dataset import write_skipped
from toonlab.errors import DataError
from toonlab.testing import write_image, write_lines


def _check(root, tmp_path, **kw):
    return check_data(DataConfig(path=str(root), image_size=8, workers=1, cache_dir=str(tmp_path / "cache"), **kw))


def test_a_manifest_field_over_the_csv_limit_is_one_error_naming_the_file_and_line(tmp_path):
    root = tmp_path / "data"
    write_image(root, "a.png")
    write_lines(root / "labels.csv", "file,kind", "a.png," + "x" * 200_000)
    with pytest.raises(DataError, match=r"labels\.csv' line 2 cannot be parsed as CSV/TSV: field larger"):
        _check(root, tmp_path, source="manifest", labels="labels.csv")
    with pytest.raises(DataError):  # the layout survey only peeks at the table: the manifest says why
        _check(root, tmp_path)


def test_a_sidecar_with_a_byte_order_mark_and_crlf_reads_like_any_other(tmp_path):
    root = tmp_path / "data"
    for i in range(4):
        hostile.good(write_image(root, f"{i}.png"), i)
        write_lines(root / f"{i}.csv", f'"color", {i % 2}, 2')
    (root / "0.csv").write_bytes(b'\xef\xbb\xbf"color", 0, 2\r\n')  # one saved by Excel/Notepad
    report = _check(root, tmp_path, source="cartoonset")
    assert (report.used, report.skipped, list(report.tasks)) == (4, [], ["color"])


def test_a_file_name_that_is_not_utf8_is_a_named_skip_and_every_report_can_be_written(tmp_path):
    root = tmp_path / "data"
    for cls in ("cat", "dog"):
        for i in range(3):
            hostile.good(write_image(root, f"{cls}/{i}.png"), i + 10 * (cls == "dog"))
    odd = os.fsdecode(os.fsencode(str(root / "cat")) + b"/caf\xe9.png")
    hostile.good(Path(odd), 99)
    report = _check(root, tmp_path, source="folders")
    assert (report.found, report.used) == (7, 6)
    [skipped] = report.skipped
    assert skipped.path == str(root / "cat" / "caf\\xe9.png") and "not valid UTF-8" in skipped.reason
    write_skipped(tmp_path / "skipped.csv", report.skipped)  # was a UnicodeEncodeError, as was splits.csv
    format_check(report).encode("utf-8")


def test_a_regression_value_beyond_float32_is_a_named_skip_not_an_infinite_label(tmp_path):
    root = tmp_path / "data"
    for i, n in enumerate(["3", "4", "5", "9" * 60]):
        hostile.good(write_image(root, f"a-{n}.png"), i)
    report = _check(root, tmp_path, source="filename", pattern=r"a-(?P<n>\d+)", regression="n")
    assert report.used == 3 and report.tasks["n"]["max"] == 5.0
    [skipped] = report.skipped
    assert "out of range" in skipped.reason and skipped.path.endswith("9" * 60 + ".png")


def test_symlink_loops_and_dangling_links_are_skipped_with_what_they_are(tmp_path):
    root = tmp_path / "data"
    for cls in ("cat", "dog"):
        for i in range(3):
            hostile.good(write_image(root, f"{cls}/{i}.png"), i + 10 * (cls == "dog"))
    hostile.symlink_loop(root / "cat", "loop.png")
    os.symlink("gone.png", root / "dog" / "dangling.png")
    os.symlink("..", root / "dog" / "up")  # a folder loop: not followed, so the walk ends
    report = _check(root, tmp_path, source="folders")
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["loop.png"].startswith("a symbolic link that loops back on itself")
    assert reasons["dangling.png"] == "a symbolic link to 'gone.png', which does not exist"
    assert report.found == report.used + len(report.skipped) and report.used == 6


def test_a_manifest_row_naming_a_file_with_a_literal_backslash_finds_it(tmp_path):
    root = tmp_path / "data"
    for i, name in enumerate(["a.png", "b.png", "back\\slash.png"]):
        hostile.good(write_image(root, name), i)
    write_image(root, "sub/win.png")
    write_lines(root / "labels.csv", "file,kind", "a.png,x", "b.png,y", "back\\slash.png,x", "sub\\win.png,y")
    report = _check(root, tmp_path, source="manifest", labels="labels.csv")
    assert (report.used, report.skipped) == (4, [])  # and a Windows path still means sub/win.png

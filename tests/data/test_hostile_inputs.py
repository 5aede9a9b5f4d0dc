"""One test per loader bug the fuzz tests (test_fuzz_loaders.py) found, and the hostile cases they cannot
draw: unreadable files (chmod 000) and a handful of hostile folders through the CLI (exit code 2, no traceback)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostile
from toonlab.cli import main
from toonlab.config import DataConfig
from toonlab.data.check import check_data, format_check
from toonlab.data.dataset import write_skipped
from toonlab.errors import DataError
from toonlab.testing import TINY_TRAIN, read_csv, write_image, write_lines


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


def test_a_linked_folder_is_not_followed_and_is_named_once(tmp_path, caplog):
    root, outside = tmp_path / "data", tmp_path / "elsewhere"
    for i in range(3):
        hostile.good(write_image(root, f"cat/{i}.png"), i)
        hostile.good(write_image(root, f"dog/{i}.png"), i + 10)
        hostile.good(write_image(outside, f"{i}.png"), i + 20)
    os.symlink(outside, root / "bird")
    with caplog.at_level(logging.WARNING, logger="toonlab"):
        report = _check(root, tmp_path, source="folders")
    assert report.used == 6  # the linked folder's images are left out ...
    named = [r.getMessage() for r in caplog.records if "linked folder" in r.getMessage()]
    assert len(named) == 1 and str(root / "bird") in named[0] and str(outside) in named[0]  # ... but never silently


def test_a_manifest_row_naming_a_file_with_a_literal_backslash_finds_it(tmp_path):
    root = tmp_path / "data"
    for i, name in enumerate(["a.png", "b.png", "back\\slash.png"]):
        hostile.good(write_image(root, name), i)
    write_image(root, "sub/win.png")
    write_lines(root / "labels.csv", "file,kind", "a.png,x", "b.png,y", "back\\slash.png,x", "sub\\win.png,y")
    report = _check(root, tmp_path, source="manifest", labels="labels.csv")
    assert (report.used, report.skipped) == (4, [])  # and a Windows path still means sub/win.png


@pytest.mark.parametrize("what", ["image", "sidecar"])
def test_an_unreadable_file_is_a_named_skip(tmp_path, what):
    root = tmp_path / "data"
    for i in range(3):
        hostile.good(write_image(root, f"{i}.png"), i)
        write_lines(root / f"{i}.csv", f'"color", {i % 2}, 2')
    target = root / ("1.png" if what == "image" else "1.csv")
    if not hostile.unreadable(target):
        pytest.skip("running as root: chmod 000 does not stop this process reading the file")
    report = _check(root, tmp_path, source="cartoonset")
    [skipped] = report.skipped
    assert skipped.path == str(root / "1.png") and "permission denied" in skipped.reason.lower()


def _odd_folders(tmp_path) -> dict[str, list[str]]:
    """A few hostile folders and the `toonlab check` arguments for each."""
    kinds = tmp_path / "kinds"
    for i, kind in enumerate(hostile.IMAGES):
        hostile.IMAGES[kind][0](write_image(kinds, f"{('cat', 'dog')[i % 2]}/{hostile.NAMES[i % 14]}_{i}.png"), i)
    hostile.good(Path(os.fsdecode(os.fsencode(str(kinds / "cat")) + b"/caf\xe9.png")), 7)
    hostile.symlink_loop(kinds / "dog", "loop.png")
    big, utf16 = tmp_path / "big", tmp_path / "utf16"
    write_image(big, "a.png")
    write_lines(big / "labels.csv", "file,kind", "a.png," + "x" * 200_000)
    write_image(utf16, "a.png")
    (utf16 / "labels.csv").write_bytes("file,kind\na.png,x\n".encode("utf-16"))
    return {"kinds": [str(kinds)], "big": [str(big), "--labels", "labels.csv"],
            "utf16": [str(utf16), "--labels", "labels.csv"], "missing": [str(tmp_path / "nowhere")]}


def test_hostile_folders_through_the_cli_exit_0_or_2_with_one_paragraph_never_a_traceback(tmp_path):
    folders = _odd_folders(tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "TOONLAB_CACHE": str(tmp_path / "cache")}
    codes = {}
    for name, args in folders.items():
        done = subprocess.run([sys.executable, "-m", "toonlab", "check", *args, "--image-size", "8",
                               "--data.workers=1", "-q", "--json", str(tmp_path / f"{name}.json")],
                              capture_output=True, text=True, env=env, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
        codes[name] = done.returncode
        if done.returncode == 2:
            assert done.stderr.startswith("toonlab check: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert codes == {"kinds": 0, "big": 2, "utf16": 2, "missing": 2}
    report = json.loads((tmp_path / "kinds.json").read_text(encoding="utf-8"))
    assert report["found"] == report["used"] + len(report["skipped"]) == len(hostile.IMAGES) + 3  # caf\xe9, 2 links
    assert sum(not usable for _, usable in hostile.IMAGES.values()) + 3 == len(report["skipped"])


def test_train_on_a_hostile_folder_writes_every_skip_to_skipped_csv(tmp_path, capsys):
    root = _odd_folders(tmp_path)["kinds"][0]
    code = main(["train", root, "-o", str(tmp_path / "run"), *TINY_TRAIN, "--data.cache_dir", str(tmp_path / "c")])
    assert code == 0, capsys.readouterr().err
    rows = read_csv(tmp_path / "run" / "skipped.csv")
    assert any(r["file"].endswith("caf\\xe9.png") and "UTF-8" in r["reason"] for r in rows)
    assert any(r["file"].endswith("loop.png") and "loops" in r["reason"] for r in rows)

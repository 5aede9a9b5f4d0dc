"""``toonlab check`` end to end on folders made in tmp_path: every kind of broken input is listed with
a reason that says what is wrong, user mistakes are one paragraph with exit code 2, duplicates are
reported, and the counts reconcile (found = usable + skipped) in the text and in ``--json``."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

import toonlab.data.cache as cache_mod
from toonlab.cli import main
from toonlab.testing import shapes_image
from toonlab.testing import make_toy_cartoonset

FAST = ["--image-size", "16", "--data.workers=1", "-q"]


def check(capsys, *argv: str) -> tuple[int, str, str]:
    """``toonlab check ARGV`` -> (exit code, stdout, stderr)."""
    code = main(["check", *map(str, argv), *FAST])
    out = capsys.readouterr()
    return code, out.out, out.err


def counts(out: str) -> tuple[int, int, int]:
    """(found, usable, skipped) from the summary line."""
    found, usable, skipped = re.search(r"found (\d+), usable (\d+), skipped (\d+)", out).groups()
    return int(found), int(usable), int(skipped)


def bomb_png(width: int = 40000, height: int = 40000) -> bytes:
    """A valid ~70-byte PNG whose header claims ``width x height`` pixels (PIL refuses it at open)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + chunk(b"IEND", b""))


def shapes(path: Path, seed: int, size: int = 48) -> Path:
    return shapes_image(path, seed, size)


def unreadable(path: Path, monkeypatch) -> None:
    """Make ``path`` unreadable: chmod 000, or, where that does not stop reads (root), make decoding it
    raise PermissionError as an unreadable file does."""
    os.chmod(path, 0)
    if not os.access(path, os.R_OK):
        return
    real = cache_mod.decode_image

    def decode(p, *args, **kwargs):
        if Path(p) == path:
            raise PermissionError(13, "Permission denied", str(p))
        return real(p, *args, **kwargs)

    monkeypatch.setattr(cache_mod, "decode_image", decode)


def test_cartoonset_lists_every_broken_file_with_its_reason_and_counts_reconcile(tmp_path, capsys, monkeypatch):
    root = make_toy_cartoonset(tmp_path / "toons", n=24, size=24)
    png = sorted(root.rglob("*.png"))
    truncated = png[1].read_bytes()
    expected = {}  # path -> what its reason must say

    png[0].write_bytes(b"")
    expected[png[0]] = "empty file (0 bytes)"
    png[1].write_bytes(truncated[: len(truncated) // 2])
    expected[png[1]] = "truncated"
    png[2].write_bytes(b"\x13\x37garbage\xff\x00" * 40)
    expected[png[2]] = "not an image PIL can read"
    png[3].write_text("name,age\nthis is a text file, not a picture\n")
    expected[png[3]] = "not an image PIL can read"
    png[4].write_bytes(bomb_png())
    expected[png[4]] = "too large to decode safely"
    unreadable(png[5], monkeypatch)
    expected[png[5]] = "cannot be read (permission denied)"
    png[6].with_suffix(".csv").unlink()
    expected[png[6]] = f"no label file: expected {png[6].stem}.csv beside the image"
    png[7].with_suffix(".csv").write_text('"color", two, 3\n"size", 0, 2\n')
    expected[png[7]] = f"""{png[7].stem}.csv line 1: expected `"name", index, count`"""
    png[8].with_suffix(".csv").write_text('"color", 3, 3\n"size", 0, 2\n')
    expected[png[8]] = "'color' index 3 is outside 0..2 (count 3)"
    png[9].with_suffix(".csv").write_text('"color", 1, 4\n"size", 0, 2\n')
    expected[png[9]] = "'color' has count 4 but most label files say 3"
    photo = root / "0" / "photo.jpg"
    Image.new("RGB", (8, 8)).save(photo)
    expected[photo] = "not a .png"

    report = tmp_path / "report.json"
    code, out, err = check(capsys, root, "--json", report)
    assert code == 0 and "Traceback" not in err
    for path, reason in expected.items():
        line = next((x for x in out.splitlines() if x.startswith(f"  {path}: ")), None)
        assert line is not None and reason in line, (path, reason, out)
    saved = json.loads(report.read_text())
    reasons = {s["file"]: s["reason"] for s in saved["skipped"]}
    assert set(reasons) == {str(p) for p in expected}
    assert all(expected[Path(f)] in r for f, r in reasons.items())
    assert counts(out) == (25, 25 - len(expected), len(expected))
    assert saved["found"] == 25 and saved["found"] == saved["used"] + len(saved["skipped"])
    assert sum(saved["splits"].values()) == saved["used"]
    assert sum(saved["tasks"]["color"]["classes"].values()) == saved["used"]


def _manifest(root: Path, lines: list[str]) -> Path:
    """A data folder with a distinct image per listed .png (but ``gone.png``) and ``labels.csv`` holding ``lines``."""
    for i, line in enumerate(lines[1:]):
        name = line.split(",")[0]
        if name.endswith(".png") and name != "gone.png":
            shapes(root / name, seed=i)
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


MANIFEST = ["file,age,sex,child"] + [f"{i}.png,{20 + i},{'mf'[i % 2]},c{i // 2}" for i in range(8)]


@pytest.mark.parametrize("option, named", [
    (["--tasks", "age,weight"], "'weight'"),
    (["--regression", "agee"], "'agee'"),
    (["--file-column", "path"], "'path'"),
    (["--group-column", "family"], "'family'"),
])
def test_manifest_mistakes_are_one_paragraph_naming_the_column(tmp_path, capsys, option, named):
    root = _manifest(tmp_path / "data", MANIFEST)
    code, out, err = check(capsys, root, "--source", "manifest", "--labels", "labels.csv", *option)
    assert code == 2 and named in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("toonlab check: error: ")


def test_manifest_rows_that_cannot_be_used_are_skipped_with_the_line_and_reason(tmp_path, capsys):
    lines = [*MANIFEST, "8.png,eight,m,c4", "gone.png,30,f,c5", "9.png,31,f", "notes.txt,1,f,c6"]
    root = _manifest(tmp_path / "data", lines)
    shapes(root / "unlisted.png", seed=99)
    report = tmp_path / "r.json"
    code, out, _ = check(capsys, root, "--source", "manifest", "--labels", "labels.csv", "--regression", "age",
                         "--group-column", "child", "--json", report)
    assert code == 0
    saved = json.loads(report.read_text())
    reasons = {Path(s["file"]).name: s["reason"] for s in saved["skipped"]}
    assert reasons["8.png"] == ("labels.csv line 10: non-numeric value 'eight' for regression task 'age' "
                                "(expected a number)")
    assert "file 'gone.png' does not exist" in reasons["gone.png"]
    assert "expected 4 fields" in reasons["9.png"]
    assert "is not an image file name" in reasons["notes.txt"]
    assert reasons["unlisted.png"] == "not listed in labels.csv"
    assert saved["found"] == saved["used"] + len(saved["skipped"]) and saved["used"] == 8
    assert counts(out) == (saved["found"], 8, len(saved["skipped"]))
    assert saved["tasks"]["age"]["kind"] == "regression" and saved["tasks"]["age"]["min"] == 20
    assert saved["groups"] == 4 and "; 4 groups" in out


def test_filename_mismatches_are_skipped_and_a_bad_regex_names_pattern(tmp_path, capsys):
    root = tmp_path / "data"
    for i, name in enumerate(["cat_1.png", "cat_2.png", "dog_3.png", "dog_4.png", "bird.png", "sub/cat_5.png"]):
        shapes(root / name, seed=i)
    (root / "readme.txt").write_text("not an image")
    pattern = r"(?P<kind>[a-z]+)_\d+\.png$"
    report = tmp_path / "r.json"
    code, out, _ = check(capsys, root, "--source", "filename", "--pattern", pattern, "--json", report)
    assert code == 0
    saved = json.loads(report.read_text())
    reasons = {Path(s["file"]).name: s["reason"] for s in saved["skipped"]}
    assert reasons == {"bird.png": f"file name does not match --pattern {pattern}",
                       "readme.txt": "not an image file (.txt)"}
    assert saved["tasks"]["kind"]["classes"] == {"cat": 3, "dog": 2}
    assert counts(out) == (7, 5, 2) and saved["found"] == saved["used"] + len(saved["skipped"])

    code, _, err = check(capsys, root, "--source", "filename", "--pattern", r"(?P<kind[a-z]+)")
    assert code == 2 and "--pattern" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_data_folder_or_a_file_is_exit_2(tmp_path, capsys):
    code, _, err = check(capsys, tmp_path / "nowhere")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    (tmp_path / "file.png").write_bytes(b"")
    code, _, err = check(capsys, tmp_path / "file.png")
    assert code == 2 and "is a file, not a folder" in err


def test_exact_and_near_copies_are_reported_grouped_or_dropped(tmp_path, capsys):
    root = tmp_path / "data"
    for i in range(8):
        shapes(root / "ab"[i % 2] / f"s{i}.png", seed=i)
    shutil.copy(root / "b" / "s1.png", root / "a" / "copy.png")  # an exact copy (same bytes)
    with Image.open(root / "a" / "s0.png") as im:  # a near copy: resized and re-saved as JPEG
        im.resize((40, 40), Image.Resampling.BICUBIC).save(root / "b" / "near.jpg", quality=95)

    report = tmp_path / "r.json"
    code, out, _ = check(capsys, root, "--source", "folders", "--json", report)
    saved = json.loads(report.read_text())
    assert code == 0 and saved["duplicates"]["clusters"] == 2 and saved["duplicates"]["images"] == 4
    assert "duplicates: 2 clusters" in out and saved["used"] == saved["found"] == 10

    code, out, _ = check(capsys, root, "--source", "folders", "--duplicates", "group", "--json", report)
    saved = json.loads(report.read_text())
    assert code == 0 and saved["duplicates"]["clusters"] == 2 and saved["duplicates"]["cross_split"] == []
    assert saved["groups"] == 8  # 10 images, two pairs kept together

    code, out, _ = check(capsys, root, "--source", "folders", "--duplicates", "drop", "--json", report)
    saved = json.loads(report.read_text())
    reasons = {Path(s["file"]).relative_to(root).as_posix(): s["reason"] for s in saved["skipped"]}
    assert reasons == {"b/s1.png": "duplicate of a/copy.png (--duplicates drop)",
                       "b/near.jpg": "duplicate of a/s0.png (--duplicates drop)"}
    assert saved["duplicates"]["clusters"] == 0 and "duplicates: none found" in out
    assert counts(out) == (10, 8, 2) and saved["found"] == saved["used"] + len(saved["skipped"])


def test_check_reports_per_task_how_often_a_label_is_not_drawn(tmp_path, capsys):
    root = make_toy_cartoonset(tmp_path / "toons", n=20, size=16)
    rels = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    table = tmp_path / "vis.csv"
    table.write_text("file,color,size\n" + "".join(f"{r},{int(i >= 5)},1\n" for i, r in enumerate(rels)))
    report = tmp_path / "report.json"
    code, out, _ = check(capsys, root, "--visibility", table, "--json", report)
    assert code == 0
    color = next(line for line in out.splitlines() if line.startswith("  color "))
    assert color.endswith("; not drawn in 5 of 20 (25.0%)")
    assert "not drawn" not in next(line for line in out.splitlines() if line.startswith("  size "))
    tasks = json.loads(report.read_text())["tasks"]
    assert tasks["color"]["not_drawn"] == 5 and tasks["size"]["not_drawn"] == 0
    table.write_text("file,color,colour\n")
    code, _, err = check(capsys, root, "--visibility", table)
    assert code == 2 and "names task 'colour', which is no label of this data" in err and str(table) in err

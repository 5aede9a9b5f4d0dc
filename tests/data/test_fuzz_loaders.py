"""Hostile input, systematically: generated data folders in each layout go through ``check_data`` (the path
``toonlab check`` and ``train`` share: label source → image cache → duplicates → split).

Each case is a folder of a few images drawn from :mod:`hostile` (truncated, zero-byte, not an image,
decompression bomb, 1x1 and 20,000-pixel sides, 16-bit and palette PNGs with odd alpha, CMYK JPEG ...) under
odd names (spaces, quotes, commas, newlines, non-ASCII, bytes that are not UTF-8), with label files in odd
bytes (BOM, CRLF, quoted commas, missing or extra fields, Latin-1, UTF-16, NUL, a 200 kB field), plus symlink
loops. Every case must end as a report whose counts reconcile (found = used + skipped), where every broken
image is a named skip with a reason and every text can be printed and written as UTF-8, or as one
``ToonlabError`` paragraph; anything else (a traceback) fails the test and Hypothesis shrinks the case.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from toonlab.config import DataConfig
from toonlab.data.check import CheckReport, check_data, format_check
from toonlab.data.dataset import write_skipped
from toonlab.errors import ToonlabError

CASES = 100  # generated folders per layout
KINDS = sorted(hostile.IMAGES)
STEMS = [*hostile.NAMES, b"caf\xe9", b"\xff\xfe"]  # bytes: a name that is not UTF-8 (Latin-1, garbage)
CLASSES = ["cat", "dog", "ça va", "x\ny", "a,b", "日本", "it's"]
SIDECARS = ["ok", "ok", "ok", "bom", "crlf", "missing_field", "extra_field", "quoted_comma", "latin1", "utf16",
            "empty", "none", "out_of_range", "nul", "big_field", "extra_attribute"]
ROWS = ["ok", "ok", "ok", "missing_field", "extra_field", "unlisted", "no_file", "duplicate", "big_field",
        "absolute", "outside", "empty_value"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "utf-16"]
SETTINGS = settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass
class Folder:
    """A generated data folder and what the loaders must make of it."""

    root: Path
    cfg: dict
    broken: list[str] = field(default_factory=list)  # images that must end as named skips


def _name(stem: str | bytes, i: int, suffix: str = ".png") -> bytes:
    raw = stem if isinstance(stem, bytes) else stem.encode()
    return raw + f"_{i}{suffix}".encode()


def _write_image(folder: Path, name: bytes, kind: str, seed: int, into: Folder) -> str:
    """Write ``folder/name`` as ``kind``; returns its path as toonlab will see it (a str, maybe with surrogates)."""
    path = os.fsdecode(os.path.join(os.fsencode(str(folder)), name))
    maker, usable = hostile.IMAGES[kind]
    maker(Path(path), seed)
    if not usable:
        into.broken.append(path)
    return path


def _extras(root: Path, draw, into: Folder) -> None:
    """Symlink loops (a file and a folder one), a dangling link and a stray note, some of the time."""
    if draw(st.booleans()):
        into.broken.append(str(hostile.symlink_loop(root, "loop.png")))
    if draw(st.booleans()):
        os.symlink(".", root / "again")
        os.symlink("nowhere.png", root / "dangling.png")
        into.broken.append(str(root / "dangling.png"))
    if draw(st.booleans()):
        (root / "notes.txt").write_text("not data\n", encoding="utf-8")


# --- cartoonset: X.png + X.csv ------------------------------------------------------------------------------

def _sidecar(flavour: str, seed: int) -> bytes:
    lines = [f'"color", {seed % 3}, 3', f'"size", {seed % 2}, 2']
    edits = {"missing_field": lambda: [lines[0], '"size", 1'], "extra_field": lambda: [lines[0], '"size", 0, 2, 9'],
             "quoted_comma": lambda: ['"col,or", 1, 3', lines[1]], "out_of_range": lambda: ['"color", 7, 3', lines[1]],
             "nul": lambda: ['"color\x00", 1, 3', lines[1]], "big_field": lambda: [f'"color", 1{"0" * 200_000}, 3'],
             "extra_attribute": lambda: [*lines, '"hat", 1, 2'], "latin1": lambda: ['"côlor", 1, 3', lines[1]]}
    lines = edits.get(flavour, lambda: lines)()
    text = ("\r\n" if flavour == "crlf" else "\n").join(lines) + "\n"
    encoding = {"bom": "utf-8-sig", "latin1": "latin-1", "utf16": "utf-16"}.get(flavour, "utf-8")
    return b"" if flavour == "empty" else text.encode(encoding)


@st.composite
def cartoonset_folders(draw, base: Path) -> Folder:
    root = base / "data"
    root.mkdir()
    out = Folder(root, {"source": draw(st.sampled_from(["cartoonset", "auto"]))})
    items = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(STEMS), st.sampled_from(SIDECARS)),
                          min_size=1, max_size=6))
    for i, (kind, stem, flavour) in enumerate(items):
        path = _write_image(root, _name(stem, i), kind, i, out)
        if flavour != "none":
            Path(path[:-4] + ".csv").write_bytes(_sidecar(flavour, i))
    _extras(root, draw, out)
    return out


# --- folders: class = parent folder -------------------------------------------------------------------------

@st.composite
def class_folders(draw, base: Path) -> Folder:
    root = base / "data"
    root.mkdir()
    out = Folder(root, {"source": draw(st.sampled_from(["folders", "auto"]))})
    items = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(STEMS),
                                    st.sampled_from(["", *CLASSES, "cat/deeper"])), min_size=1, max_size=6))
    for i, (kind, stem, cls) in enumerate(items):
        folder = root / cls
        folder.mkdir(parents=True, exist_ok=True)
        _write_image(folder, _name(stem, i), kind, i, out)
    _extras(root / "cat" if (root / "cat").is_dir() else root, draw, out)
    return out


# --- manifest: one CSV with a file column -------------------------------------------------------------------

def _row(flavour: str, rel: str, value: str, root: Path) -> list[list[str]]:
    if flavour == "missing_field":
        return [[rel]]
    if flavour == "extra_field":
        return [[rel, value, "surplus"]]
    if flavour == "unlisted":
        return []
    if flavour == "no_file":
        return [["missing_" + rel, value]]
    if flavour == "duplicate":
        return [[rel, value], [rel, value]]
    if flavour == "big_field":
        return [[rel, "x" * 200_000]]
    if flavour == "absolute":
        return [[str(root / rel), value]]
    if flavour == "outside":
        return [["../" + rel, value]]
    return [[rel, "" if flavour == "empty_value" else value]]


@st.composite
def manifest_folders(draw, base: Path) -> Folder:
    root = base / "data"
    root.mkdir()
    explicit = draw(st.booleans())
    out = Folder(root, {"source": "manifest", "labels": "labels.csv"} if explicit else {"source": "auto"})
    items = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(STEMS), st.sampled_from(ROWS),
                                    st.sampled_from(["a", "b", "b,c", 'q"uote', "ü"])), min_size=1, max_size=6))
    rows = [["file", "kind"]]
    for i, (kind, stem, flavour, value) in enumerate(items):
        path = _write_image(root, _name(stem, i), kind, i, out)
        rows += _row(flavour, os.path.relpath(path, root), value, root)
    delimiter = draw(st.sampled_from([",", "\t", ";"]))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    (root / "labels.csv").write_bytes(_encode(buf.getvalue(), draw(st.sampled_from(ENCODINGS))))
    _extras(root, draw, out)
    return out


def _encode(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``, names that are not UTF-8 as their own bytes; what the encoding lacks as '?'."""
    try:
        return text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode(encoding, "replace")


# --- filename: a regex over file names ----------------------------------------------------------------------

@st.composite
def filename_folders(draw, base: Path) -> Folder:
    root = base / "data"
    root.mkdir()
    out = Folder(root, {"source": "filename", "pattern": r"(?P<kind>[a-z]+)-(?P<n>\d+)",
                        "regression": "n", "converters": {"n": draw(st.sampled_from(["int", "float", "str"]))}})
    items = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(STEMS), st.sampled_from(["a-", "bb-",
                                    "-", "A-", "c-9" + "9" * 200 + "-"])), min_size=1, max_size=6))
    for i, (kind, stem, prefix) in enumerate(items):
        _write_image(root, prefix.encode() + _name(stem, i), kind, i, out)
    _extras(root, draw, out)
    return out


# --- the invariants -----------------------------------------------------------------------------------------

def check_case(folder: Folder, cache: Path) -> str:
    """Run ``check_data`` on the folder; return "report" or "error" after asserting what each must satisfy."""
    cfg = DataConfig(path=str(folder.root), image_size=8, workers=1, cache_dir=str(cache), **folder.cfg)
    try:
        report = check_data(cfg)
    except ToonlabError as e:
        text = str(e)
        assert text.strip() and "Traceback" not in text
        text.encode("utf-8")  # printable as it stands
        return "error"
    _assert_report(report, folder)
    return "report"


def _assert_report(report: CheckReport, folder: Folder) -> None:
    assert report.found == report.used + len(report.skipped), (report.found, report.used, len(report.skipped))
    assert all(s.reason.strip() for s in report.skipped)
    skipped = {s.path for s in report.skipped}
    missing = [p for p in folder.broken if _shown(p) not in skipped]
    assert not missing, f"broken images not reported as skipped: {missing}; skipped: {sorted(skipped)}"
    format_check(report).encode("utf-8")  # the CLI prints it, the report writes it
    json.dumps(report.as_dict(), ensure_ascii=False).encode("utf-8")
    write_skipped(folder.root.parent / "skipped.csv", report.skipped)


def _shown(path: str) -> str:
    """How a skipped path is reported: as is, or with bytes that are not UTF-8 written as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


LAYOUTS = {"cartoonset": cartoonset_folders, "folders": class_folders, "manifest": manifest_folders,
           "filename": filename_folders}


@pytest.mark.filterwarnings("error::RuntimeWarning")  # e.g. a label overflowing float32
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_generated_hostile_folders_end_as_named_skips_or_one_error(layout, record_property):
    outcomes: list[str] = []

    @SETTINGS
    @given(st.data())
    def one_case(data):
        with tempfile.TemporaryDirectory(prefix="toonlab-fuzz-") as tmp:
            folder = data.draw(LAYOUTS[layout](Path(tmp)))
            outcomes.append(check_case(folder, Path(tmp) / "cache"))

    one_case()
    record_property("cases", len(outcomes))
    print(f"{layout}: {len(outcomes)} cases, {outcomes.count('report')} reports, {outcomes.count('error')} errors")
    assert len(outcomes) >= CASES
    assert "report" in outcomes  # the generator does make usable folders, not only errors

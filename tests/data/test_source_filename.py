"""The filename source: a regex with named groups over each relative path (children's drawings as the example)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from toonlab.data.sources import SourceOptions, load_labels
from toonlab.data.sources.filename import DRAWINGS_PATTERN
from toonlab.errors import DataError

DRAWINGS = ["p3-67w-6.7f.jpeg", "nu-21s-4.5m.jpeg", "p3-12w-7.0m.jpg"]


def image(root: Path, rel: str) -> Path:
    """An 8 px RGB image at ``root/rel`` (format from the suffix)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (250, 240, 10)).save(path, format="PNG" if rel.endswith(".png") else "JPEG")
    return path


def load(root: Path, tasks="all", **kw):
    """Labels of ``root`` through the filename source (the drawings pattern unless given)."""
    return load_labels(root, source="filename", tasks=tasks,
                       options=SourceOptions(**{"pattern": DRAWINGS_PATTERN, **kw}))


def reasons(labels) -> dict[str, str]:
    """Skip reasons by file name."""
    return {Path(s.path).name: s.reason for s in labels.skipped}


def test_drawings_pattern_matches_the_seed_names():
    match = re.search(DRAWINGS_PATTERN, "p3-67w-6.7f.jpeg")
    assert match.groupdict() == {"age_group": "p3", "id": "67", "author": "w", "age": "6.7", "subject": "f"}
    assert re.search(DRAWINGS_PATTERN, "nursery/nu-21s-4.5m.jpeg").group("age_group") == "nu"


def test_drawings_with_age_in_months(tmp_path):
    for name in DRAWINGS:
        image(tmp_path, name)
    labels = load(tmp_path, converters={"age": "years.months"}, regression=["age"])
    assert list(labels.tasks) == ["age_group", "id", "author", "age", "subject"]
    by_name = {s.path.name: s.labels for s in labels.samples}
    assert by_name["p3-67w-6.7f.jpeg"]["age"] == 79.0 and by_name["nu-21s-4.5m.jpeg"]["age"] == 53.0
    assert labels.tasks["age_group"].classes == ("nu", "p3") and labels.tasks["subject"].classes == ("f", "m")
    assert by_name["nu-21s-4.5m.jpeg"]["author"] == labels.tasks["author"].classes.index("s")
    assert labels.found == 3 and not labels.skipped


def test_group_key_is_a_regex_group_not_a_task(tmp_path):
    for name in DRAWINGS:
        image(tmp_path, name)
    labels = load(tmp_path, group="id")
    assert "id" not in labels.tasks and list(labels.tasks) == ["age_group", "author", "age", "subject"]
    assert [s.group for s in labels.samples] == ["21", "12", "67"]  # sorted by path: nu-, p3-12, p3-67
    subset = load(tmp_path, tasks="subject", group="id")
    assert list(subset.tasks) == ["subject"] and [s.group for s in subset.samples] == ["21", "12", "67"]


def test_combined_task_through_load_labels(tmp_path):
    for name in DRAWINGS:
        image(tmp_path, name)
    labels = load(tmp_path, tasks="author+subject", combine=["author+subject"])
    assert list(labels.tasks) == ["author+subject"]
    assert labels.tasks["author+subject"].classes == ("s|m", "w|f", "w|m")


def test_skips_non_matching_non_image_and_unconvertible(tmp_path):
    for name in ["p3-67w-6.7f.jpeg", "p3-68w-6.13f.jpeg", "scan-001.jpeg", "P3-67W-6.7F.JPEG"]:
        image(tmp_path, name)
    (tmp_path / "p3-1w-6.1f.txt").write_text("x")
    labels = load(tmp_path, converters={"age": "years.months"}, regression=["age"])
    why = reasons(labels)
    assert why["scan-001.jpeg"] == f"file name does not match --pattern {DRAWINGS_PATTERN}"
    assert why["P3-67W-6.7F.JPEG"].startswith("file name does not match")
    assert "'age'" in why["p3-68w-6.13f.jpeg"] and "13 months" in why["p3-68w-6.13f.jpeg"]
    assert why["p3-1w-6.1f.txt"] == "not an image file (.txt)"
    assert [s.path.name for s in labels.samples] == ["p3-67w-6.7f.jpeg"]
    assert labels.found == 5 == len(labels.samples) + len(labels.skipped)


def test_optional_groups_give_no_label_and_folders_are_searched(tmp_path):
    for rel in ["cats/tom_3.png", "cats/kit.png", "dogs/rex_5.png", "misc/x.png"]:
        image(tmp_path, rel)
    pattern = r"^(?P<kind>cats|dogs)/[a-z]+(?:_(?P<age>\d+))?\.png$"
    labels = load(tmp_path, pattern=pattern, regression=["age"], converters={"age": "int"})
    assert [s.labels for s in labels.samples] == [{"kind": 0}, {"kind": 0, "age": 3.0}, {"kind": 1, "age": 5.0}]
    assert reasons(labels)["x.png"] == f"file name does not match --pattern {pattern}"


def test_pattern_errors(tmp_path):
    image(tmp_path, "a_1.png")
    with pytest.raises(DataError, match="pass --pattern REGEX"):
        load(tmp_path, pattern="")
    with pytest.raises(DataError, match=r"not a valid regular expression: missing \), unterminated subpattern "
                                        r"at position 0.*Received: '\(\?P<a>x'"):
        load(tmp_path, pattern="(?P<a>x")
    with pytest.raises(DataError, match=r"no named groups.*\(\?P<age>"):
        load(tmp_path, pattern=r"([a-z])_(\d)")


def test_unknown_task_and_converter_field(tmp_path):
    image(tmp_path, "p3-67w-6.7f.jpeg")
    with pytest.raises(DataError, match=r"Unknown task 'gender'.*Valid tasks: age_group, id, author, age, subject"):
        load(tmp_path, tasks="gender")
    with pytest.raises(DataError, match=r"regex group 'years'.*Valid regex groups: age_group, id"):
        load(tmp_path, converters={"years": "years.months"})
    with pytest.raises(DataError, match=r"Unknown converter 'months'"):
        load(tmp_path, converters={"age": "months"})

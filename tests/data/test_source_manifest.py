"""The manifest source: one CSV/TSV of file + label columns, on tiny folders made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from toonlab.data.sources import SourceOptions, load_labels
from toonlab.errors import DataError

HEADER = "file,age,sex,child"


def image(root: Path, rel: str) -> Path:
    """An 8 px RGB image at ``root/rel`` (format from the suffix)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (10, 200, 30)).save(path)
    return path


def table(root: Path, lines: list[str], name: str = "labels.csv", images: bool = True) -> None:
    """Write the manifest and, with ``images``, an image for every listed file name that looks like one."""
    (root / name).write_text("\n".join(lines) + "\n")
    for line in lines[1:]:
        rel = line.replace("\t", ",").split(",")[0]
        if images and rel.endswith((".png", ".jpg")):
            image(root, rel)


def load(root: Path, tasks="all", **kw):
    """Labels of ``root`` through the manifest source (``labels.csv`` unless given)."""
    return load_labels(root, source="manifest", tasks=tasks, options=SourceOptions(**{"labels": "labels.csv", **kw}))


def reasons(labels) -> dict[str, str]:
    """Skip reasons by file name."""
    return {Path(s.path).name: s.reason for s in labels.skipped}


def test_classes_regression_and_sorted_samples(tmp_path):
    table(tmp_path, [HEADER, "b/2.png,7,m,c1", "a/1.png,4.5,f,c2", "c.jpg,10,f,c1"])
    labels = load(tmp_path, regression=["age"])
    assert [s.path.relative_to(tmp_path).as_posix() for s in labels.samples] == ["a/1.png", "b/2.png", "c.jpg"]
    assert list(labels.tasks) == ["age", "sex", "child"]
    assert labels.tasks["age"].is_regression and labels.tasks["sex"].classes == ("f", "m")
    assert labels.samples[0].labels == {"age": 4.5, "sex": 0, "child": 1}
    assert labels.found == 3 and not labels.skipped and all(s.group is None for s in labels.samples)


def test_group_column_sets_groups_and_is_not_a_task(tmp_path):
    table(tmp_path, [HEADER, "a.png,7,m,c1", "b.png,4,f,c2", "c.png,5,f,"])
    labels = load(tmp_path, group="child")
    assert list(labels.tasks) == ["age", "sex"]
    assert [s.group for s in labels.samples] == ["c1", "c2", None]
    subset = load(tmp_path, tasks="sex", group="child")
    assert list(subset.tasks) == ["sex"] and [s.group for s in subset.samples] == ["c1", "c2", None]
    assert all(set(s.labels) == {"sex"} for s in subset.samples)


def test_tsv_semicolon_converters_and_empty_values(tmp_path):
    table(tmp_path, ["file\tage\tsex", "a.png\t6.7\tf", "b.png\t4.11\t", "c.png\t\tm"])
    labels = load(tmp_path, regression=["age"], converters={"age": "years.months"})
    assert [s.labels for s in labels.samples] == [{"age": 79.0, "sex": 0}, {"age": 59.0}, {"sex": 1}]
    table(tmp_path, ["file;sex", "a.png;f", "b.png;m"], images=False)
    assert load(tmp_path).tasks["sex"].classes == ("f", "m")


def test_combined_task_through_load_labels(tmp_path):
    table(tmp_path, ["file,author,subject", "a.png,w,f", "b.png,s,m", "c.png,w,m", "d.png,w,"])
    labels = load(tmp_path, tasks="author+subject", combine=["author+subject"])
    assert list(labels.tasks) == ["author+subject"]
    assert labels.tasks["author+subject"].classes == ("s|m", "w|f", "w|m")
    assert [s.labels for s in labels.samples] == [{"author+subject": 1}, {"author+subject": 0},
                                                  {"author+subject": 2}]
    assert [(Path(s.path).name, s.reason) for s in labels.skipped] == [
        ("d.png", "no label for any of the tasks author+subject")]
    assert labels.found == 4


def test_every_unusable_row_and_unlisted_image_is_skipped(tmp_path):
    table(tmp_path, [HEADER, "a.png,7,m,c1", "short.png,7,m", "gone.png,7,m,c1", "notes.txt,7,m,c1",
                     "a.png,8,f,c1", "bad.png,six,f,c1", "conv.png,6.13,f,c1", "empty.png,,,"], images=False)
    for rel in ["a.png", "short.png", "bad.png", "conv.png", "empty.png", "sub/extra.png"]:
        image(tmp_path, rel)
    (tmp_path / "notes.txt").write_text("x")
    labels = load(tmp_path, regression=["age"], converters={"age": "years.months"}, group="child")
    why = reasons(labels)
    assert why["short.png"] == "labels.csv line 3: expected 4 fields (file, age, sex, child), found 3"
    assert why["gone.png"].startswith("labels.csv line 4:") and "does not exist" in why["gone.png"]
    assert "line 5" in why["notes.txt"] and "not an image file name" in why["notes.txt"]
    assert "line 6" in why["a.png"] and "second row for 'a.png' (first listed on line 2)" in why["a.png"]
    assert "line 7" in why["bad.png"] and "cannot convert 'age'" in why["bad.png"]
    assert "line 8" in why["conv.png"] and "13 months" in why["conv.png"]
    assert "line 9" in why["empty.png"] and "no label" in why["empty.png"]
    assert why["extra.png"] == "not listed in labels.csv"
    assert [s.path.name for s in labels.samples] == ["a.png"] and labels.samples[0].labels == {"age": 84.0, "sex": 0}
    assert labels.found == 9 == len(labels.samples) + len(labels.skipped)


def test_missing_labels_option_and_file(tmp_path):
    image(tmp_path, "a.png")
    with pytest.raises(DataError, match="pass --labels FILE"):
        load(tmp_path, labels="")
    with pytest.raises(DataError, match=r"nope.csv.*does not exist.*Received: 'nope.csv'"):
        load(tmp_path, labels="nope.csv")


def test_unreadable_and_empty_files(tmp_path):
    image(tmp_path, "a.png")
    (tmp_path / "labels.csv").write_bytes(b"file,sex\n\xff\xfe\x00a.png,f\n")
    with pytest.raises(DataError, match=r"labels.csv.*cannot be read.*UTF-8"):
        load(tmp_path)
    (tmp_path / "labels.csv").write_text("\n  \n")
    with pytest.raises(DataError, match=r"labels.csv.*is empty.*header row"):
        load(tmp_path)
    (tmp_path / "labels.csv").write_text("file,sex,sex\na.png,f,m\n")
    with pytest.raises(DataError, match=r"labels.csv.*distinct.*'sex'"):
        load(tmp_path)


def test_header_problems_name_the_columns(tmp_path):
    table(tmp_path, ["filename,sex", "a.png,f"])
    with pytest.raises(DataError, match=r"labels.csv.*no column 'file'.*Did you mean 'filename'.*--file-column.*"
                                        r"Columns: filename, sex"):
        load(tmp_path)
    assert load(tmp_path, file_column="filename").tasks["sex"].classes == ("f",)
    with pytest.raises(DataError, match=r"Unknown task 'sx'.*Did you mean 'sex'"):
        load(tmp_path, tasks="sx", file_column="filename")
    with pytest.raises(DataError, match=r"converters.*column 'age'.*Valid columns: sex"):
        load(tmp_path, file_column="filename", converters={"age": "int"})
    table(tmp_path, ["filename", "a.png"])
    with pytest.raises(DataError, match="no label columns besides 'filename'"):
        load(tmp_path, file_column="filename")


def test_absolute_labels_path_and_dot_slash_paths(tmp_path):
    data = tmp_path / "data"
    image(data, "x/a.png")
    (tmp_path / "outside.csv").write_text("file,sex\n./x/a.png,f\n")
    labels = load(data, labels=str(tmp_path / "outside.csv"))
    assert [s.path.relative_to(data).as_posix() for s in labels.samples] == ["x/a.png"] and not labels.skipped

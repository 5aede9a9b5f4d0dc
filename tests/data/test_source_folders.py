"""The folders source: class = the image's folder, or one task per folder level."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from toonlab.data.sources import SourceOptions, load_labels
from toonlab.errors import DataError


def image(root: Path, rel: str) -> Path:
    """An 8 px RGB image at ``root/rel`` (format from the suffix)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (120, 20, 200)).save(path)
    return path


def load(root: Path, tasks="all", **kw):
    """Labels of ``root`` through the folders source."""
    return load_labels(root, source="folders", tasks=tasks, options=SourceOptions(**kw))


def test_class_is_the_parent_folder(tmp_path):
    for rel in ["dog/b.png", "cat/a.jpg", "dog/a.png", "cat2/c.png", "cat10/d.png"]:
        image(tmp_path, rel)
    labels = load(tmp_path)
    assert list(labels.tasks) == ["class"]
    assert labels.tasks["class"].classes == ("cat", "cat2", "cat10", "dog")  # natural order
    assert [s.path.relative_to(tmp_path).as_posix() for s in labels.samples] == [
        "cat/a.jpg", "cat10/d.png", "cat2/c.png", "dog/a.png", "dog/b.png"]
    assert [s.labels["class"] for s in labels.samples] == [0, 2, 1, 3, 3]
    assert labels.found == 5 and not labels.skipped
    assert load(tmp_path, tasks="class").tasks["class"].num_classes == 4


def test_nested_folders_give_the_whole_path(tmp_path):
    image(tmp_path, "impressionism/monet/x.png")
    image(tmp_path, "impressionism/renoir/y.png")
    image(tmp_path, "cubism/z.png")
    labels = load(tmp_path)
    assert labels.tasks["class"].classes == ("cubism", "impressionism/monet", "impressionism/renoir")


def test_folder_levels_as_tasks_and_wrong_depth_skipped(tmp_path):
    for rel in ["impressionism/monet/x.png", "impressionism/renoir/y.png", "cubism/picasso/z.png",
                "cubism/flat.png", "a/b/c/deep.png"]:
        image(tmp_path, rel)
    labels = load(tmp_path, tasks="style,artist")
    assert labels.tasks["style"].classes == ("cubism", "impressionism")
    assert labels.tasks["artist"].classes == ("monet", "picasso", "renoir")
    assert [s.labels for s in labels.samples] == [{"style": 0, "artist": 1}, {"style": 1, "artist": 0},
                                                  {"style": 1, "artist": 2}]
    why = {Path(s.path).name: s.reason for s in labels.skipped}
    assert "1 folder level(s) deep" in why["flat.png"] and "style, artist" in why["flat.png"]
    assert "3 folder level(s) deep" in why["deep.png"]
    assert labels.found == 5 == len(labels.samples) + len(labels.skipped)


def test_regression_reads_folder_names_as_numbers(tmp_path):
    for rel in ["7/a.png", "12.5/b.png", "old/c.png"]:
        image(tmp_path, rel)
    labels = load(tmp_path, tasks="age", regression=["age"])
    assert [s.labels for s in labels.samples] == [{"age": 12.5}, {"age": 7.0}]
    why = {Path(s.path).name: s.reason for s in labels.skipped}
    assert why["c.png"] == "folder 'old': non-numeric value 'old' for regression task 'age' (expected a number)"


def test_loose_images_and_other_files_are_skipped(tmp_path):
    image(tmp_path, "cat/a.png")
    image(tmp_path, "loose.png")
    (tmp_path / "cat" / "notes.txt").write_text("x")
    (tmp_path / "README").write_text("x")
    labels = load(tmp_path)
    why = {Path(s.path).name: s.reason for s in labels.skipped}
    assert why["loose.png"].startswith("not inside a class folder")
    assert why["notes.txt"] == "not an image file (.txt)" and why["README"] == "not an image file (no extension)"
    assert labels.found == 4 == len(labels.samples) + len(labels.skipped)


def test_combined_levels_and_group_by_level(tmp_path):
    for rel in ["impressionism/monet/x.png", "cubism/picasso/z.png", "cubism/braque/w.png"]:
        image(tmp_path, rel)
    labels = load(tmp_path, tasks="style+artist", combine=["style+artist"])
    assert labels.tasks["style+artist"].classes == ("cubism|braque", "cubism|picasso", "impressionism|monet")
    grouped = load(tmp_path, tasks="style,artist", group="style")
    assert [s.group for s in grouped.samples] == ["cubism", "cubism", "impressionism"]


def test_unknown_group_is_an_error(tmp_path):
    image(tmp_path, "cat/a.png")
    with pytest.raises(DataError, match="Group key 'painter'"):
        load(tmp_path, group="painter")

"""Layout detection (``--source auto``): each layout from a tiny folder made in tmp_path, and the error that
says what was found and which commands to run when none, or several, fit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from toonlab.data.sources import SourceOptions, detect_layout, load_labels
from toonlab.data.sources.survey import find_file_column, survey_folder
from toonlab.errors import DataError
from toonlab.testing import make_toy_cartoonset, write_image, write_lines


def class_folders(root: Path, classes: str = "abc", per_class: int = 2) -> Path:
    for c in classes:
        for i in range(per_class):
            write_image(root, f"{c}/{i}.png")
    return root


def error(root: Path, options: SourceOptions | None = None) -> str:
    with pytest.raises(DataError) as e:
        detect_layout(root, options)
    return str(e.value)


def test_sidecar_csvs_are_the_cartoonset_layout_nested_or_flat(tmp_path):
    nested = detect_layout(make_toy_cartoonset(tmp_path / "nested", n=12, size=8))
    assert nested.source == "cartoonset"
    assert nested.describe() == ("Layout: CartoonSet sidecar CSVs (12 of 12 .png images have X.csv beside them); "
                                 "--source cartoonset")  # its 0/..9/ folders are shards, not classes
    flat = tmp_path / "flat"
    for i in range(3):
        write_image(flat, f"cs{i}.png")
        write_lines(flat / f"cs{i}.csv", '"hair", 1, 3')
    write_lines(flat / "hidden.csv", "file,attribute", "cs0.png,hair")  # a visibility table is not a manifest
    assert detect_layout(flat).source == "cartoonset"


def test_class_sub_folders_are_the_folders_layout(tmp_path):
    layout = detect_layout(class_folders(tmp_path, "abc", 4))
    assert layout.source == "folders"
    assert layout.describe() == "Layout: class sub-folders (3 classes, 12 images); --source folders"


@pytest.mark.parametrize("name, sep", [("labels.csv", ","), ("labels.tsv", "\t")])
def test_one_top_level_table_with_a_file_column_is_the_manifest(tmp_path, name, sep):
    for i in range(3):
        write_image(tmp_path, f"img/{i}.jpg")
    write_lines(tmp_path / name, sep.join(["file", "kind"]), *(sep.join([f"img/{i}.jpg", "ab"[i % 2]]) for i in range(3)))
    layout = detect_layout(tmp_path)
    assert (layout.source, layout.options.labels, layout.options.file_column) == ("manifest", name, "file")
    assert layout.describe() == f"Layout: one manifest {name} (image paths in column 'file'); " \
                                f"--source manifest --labels {name}"


def test_a_manifest_whose_paths_are_in_another_column_names_it(tmp_path):
    for i in range(3):
        write_image(tmp_path, f"{i}.png")
    write_lines(tmp_path / "meta.csv", "id,image,label", *(f"{i},{i}.png,x" for i in range(3)))
    layout = detect_layout(tmp_path)
    assert layout.options.file_column == "image" and "--file-column image" in layout.flags
    assert find_file_column(tmp_path / "meta.csv", "file") == "image"


def test_a_manifest_beats_class_folders_and_says_the_other_is_possible(tmp_path):
    class_folders(tmp_path, "ab")
    write_lines(tmp_path / "labels.csv", "file,kind", "a/0.png,x", "b/0.png,y")
    layout = detect_layout(tmp_path)
    assert layout.source == "manifest" and "(also possible: --source folders)" in layout.describe()


def test_two_manifests_or_manifest_and_sidecars_tie_and_the_error_gives_each_command(tmp_path):
    class_folders(tmp_path, "ab")
    write_lines(tmp_path / "train.csv", "file,kind", "a/0.png,x")
    write_lines(tmp_path / "test.csv", "file,kind", "b/0.png,y")
    message = error(tmp_path)
    assert "Several label layouts fit" in message
    assert f"`toonlab train {tmp_path} --source manifest --labels train.csv`" in message
    assert f"`toonlab train {tmp_path} --source manifest --labels test.csv`" in message
    toons = make_toy_cartoonset(tmp_path / "toons", n=4, size=8)
    write_lines(toons / "labels.csv", "file,kind", "0/toy00000.png,x")
    message = error(toons)
    assert "--source cartoonset`" in message and "--labels labels.csv`" in message


def test_nested_class_folders_are_ambiguous_and_the_error_offers_each_reading(tmp_path):
    for split in ("train", "val"):
        class_folders(tmp_path / split, "ab", 1)
    message = error(tmp_path)
    assert "the images are 2 folder levels down" in message
    assert "4 images (4 two or more levels down)" in message
    assert f"`toonlab train {tmp_path} --source folders`" in message
    assert f"`toonlab train {tmp_path} --source folders --tasks level1,level2`" in message
    assert f"`toonlab train {tmp_path / 'train'}`" in message


def test_images_at_several_depths_are_ambiguous(tmp_path):
    class_folders(tmp_path, "ab")
    write_image(tmp_path, "stray.png")
    message = error(tmp_path)
    assert "different folder depths" in message and "1 at the top level" in message
    assert "--source folders`" in message


def test_one_sub_folder_would_be_one_class(tmp_path):
    for i in range(3):
        write_image(tmp_path, f"images/{i}.png")
    message = error(tmp_path)
    assert "one sub-folder images/" in message and f"`toonlab train {tmp_path / 'images'}`" in message


def test_images_without_labels_list_the_command_for_each_layout(tmp_path):
    for name in ("cat_1.jpg", "cat_2.jpg", "dog_1.jpg"):
        write_image(tmp_path, name)
    write_lines(tmp_path / "notes.csv", "when,what", "monday,drew")
    message = error(tmp_path)
    assert "Cannot tell how the images" in message
    assert "3 images (3 at the top level); no sidecar .csv files; CSV/TSV at the top level: notes.csv" in message
    assert f"`toonlab train {tmp_path} --source filename --pattern '(?P<label>[^_/]+)_[^/]*\\.jpg$'`" in message
    assert f"`toonlab train {tmp_path} --source manifest --labels notes.csv --file-column COLUMN`" in message
    assert f"then `toonlab train {tmp_path} --source folders`" in message


def test_an_empty_folder_says_there_are_no_images(tmp_path):
    write_lines(tmp_path / "readme.txt", "hello")
    message = error(tmp_path)
    assert message.startswith(f"No images found in {str(tmp_path)!r}") and "1 other file" in message
    assert "toonlab synth" in message


def test_labels_or_pattern_given_choose_the_source_without_looking(tmp_path):
    assert detect_layout(tmp_path, SourceOptions(labels="x.csv")).source == "manifest"
    assert detect_layout(tmp_path, SourceOptions(pattern="(?P<a>x)")).source == "filename"


def test_load_labels_auto_uses_the_layout_and_logs_it(tmp_path, caplog):
    class_folders(tmp_path, "ab", 2)
    with caplog.at_level(logging.INFO, logger="toonlab"):
        labels = load_labels(tmp_path)
    assert labels.source == "folders" and labels.tasks["class"].classes == ("a", "b")
    assert labels.layout == "Layout: class sub-folders (2 classes, 4 images); --source folders"
    assert labels.layout in caplog.text


def test_an_explicit_source_wins_over_detection(tmp_path):
    class_folders(tmp_path, "ab", 2)
    labels = load_labels(tmp_path, source="filename", options=SourceOptions(pattern=r"(?P<n>\d)\.png$"))
    assert labels.source == "filename" and labels.layout == "" and list(labels.tasks) == ["n"]


def test_survey_counts_images_by_depth_and_leaves_out_masks(tmp_path):
    class_folders(tmp_path, "ab", 2)
    write_image(tmp_path, "top.png")
    write_image(tmp_path, "a/deep/x.png")
    write_image(tmp_path, "a/0.mask.png")
    survey = survey_folder(tmp_path)
    assert (survey.images, survey.top, survey.deeper, survey.levels) == (6, 1, 1, (0, 1, 2))
    assert survey.classes == {"a": 2, "b": 2} and survey.folders == ("a", "b")

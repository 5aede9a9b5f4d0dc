"""The visibility table (labels not drawn per image): both formats, where it is found, every bad input,
and its effect on each label source, on tiny folders made in tmp_path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from toonlab.data.sources import SourceOptions, load_labels
from toonlab.data.visibility import find_visibility, read_visibility
from toonlab.errors import DataError
from toonlab.testing import make_toy_cartoonset, write_image, write_lines


def manifest_folder(root: Path, labels_name: str = "labels.csv") -> Path:
    """DATA with a.png, b.png, sub/c.png and a manifest of tasks glasses, glasses_color, hair."""
    for rel in ("a.png", "b.png", "sub/c.png"):
        write_image(root, rel)
    write_lines(root / labels_name, "file,glasses,glasses_color,hair", "a.png,none,red,long", "b.png,round,blue,short",
          "sub/c.png,none,red,bald")
    return root


def manifest(root: Path, labels_name: str = "labels.csv", **kw):
    return load_labels(root, source="manifest", options=SourceOptions(labels=labels_name, **kw))


def not_drawn(labels, root: Path) -> dict[str, set[str]]:
    return {s.path.relative_to(root).as_posix(): set(s.hidden) for s in labels.samples if s.hidden}


# --- reading ---------------------------------------------------------------------------------------

def test_wide_table_reads_zero_as_not_drawn(tmp_path):
    path = write_lines(tmp_path / "v.csv", "file,glasses_color,hair", "a.png,0,1", "sub\\c.png, 0 , 0", "b.png,1,1")
    table = read_visibility(path)
    assert table.not_drawn == {"a.png": {"glasses_color"}, "sub/c.png": {"glasses_color", "hair"}}
    assert table.files == {"a.png": 2, "sub/c.png": 3, "b.png": 4}
    assert set(table.tasks) == {"glasses_color", "hair"}


def test_long_hidden_csv_is_the_same_thing(tmp_path):
    path = write_lines(tmp_path / "hidden.csv", "file,attribute", "a.png,glasses_color", "a.png,hair", "c.png,hair")
    table = read_visibility(path)
    assert table.not_drawn == {"a.png": {"glasses_color", "hair"}, "c.png": {"hair"}}
    assert table.tasks == {"glasses_color": "line 2", "hair": "line 3"}


def test_tab_separated_table_with_the_manifest_file_column_and_absolute_paths(tmp_path):
    path = write_lines(tmp_path / "v.tsv", "path\thair", f"{tmp_path / 'x' / 'a.png'}\t0")
    assert read_visibility(path, root=tmp_path, file_column="path").not_drawn == {"x/a.png": {"hair"}}


@pytest.mark.parametrize("lines, expected", [
    (["file,hair,glasses", "a.png,1,2"], "line 2, column 'glasses': expected 1 (drawn) or 0 (not drawn). "
                                         "Received: '2'"),
    (["file,hair", "a.png,"], "line 2, column 'hair': expected 1 (drawn) or 0 (not drawn). Received: ''"),
    (["file,hair", "a.png,yes"], "Received: 'yes'"),
    (["image,hair", "a.png,1"], "has no column 'file' for the image paths"),
    (["file", "a.png"], "has no task columns"),
    (["file,hair", "a.png,1", "b.png,0", "./a.png,0"], "line 4: a second row for 'a.png' (first on line 2)"),
    (["file,hair", "a.png,1,0"], "line 2: expected 2 fields"),
    (["file,hair", ",1"], "line 2: no file name"),
    (["file,hair,hair", "a.png,1,1"], "distinct, non-empty column names"),
    (["file,attribute", "a.png,hair", "a.png,hair"], "line 3: a second row for 'a.png' and 'hair' (first on line 2)"),
    (["file,attribute", "a.png,"], "line 2: no attribute"),
])
def test_bad_tables_are_errors_naming_the_file_line_and_column(tmp_path, lines, expected):
    path = write_lines(tmp_path / "v.csv", *lines)
    with pytest.raises(DataError) as e:
        read_visibility(path)
    assert str(path) in str(e.value) and expected in str(e.value)


def test_an_empty_table_is_an_error(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        read_visibility(write_lines(tmp_path / "v.csv", ""))


# --- where it is found -------------------------------------------------------------------------------

def test_found_beside_the_labels_in_order(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert find_visibility(data) is None
    write_lines(data / "hidden.csv", "file,attribute")
    assert find_visibility(data) == data / "hidden.csv"
    write_lines(data / "meta" / "visibility.csv", "file,hair")
    assert find_visibility(data, labels="meta/labels.csv") == data / "meta" / "visibility.csv"
    assert find_visibility(data) == data / "hidden.csv"  # not a manifest source: meta/ is not looked at
    write_lines(data / "visibility.csv", "file,hair")
    assert find_visibility(data, labels="meta/labels.csv") == data / "visibility.csv"
    assert find_visibility(data, "none") is None
    assert find_visibility(data, "meta/visibility.csv") == data / "meta" / "visibility.csv"
    assert find_visibility(data, str(data / "hidden.csv")) == data / "hidden.csv"


def test_a_given_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"--visibility, data.visibility\) does not exist.*Received: 'nope.csv'"):
        find_visibility(tmp_path, "nope.csv")


# --- every source -------------------------------------------------------------------------------------

def test_manifest_source_reads_visibility_csv_beside_the_manifest(tmp_path):
    root = manifest_folder(tmp_path / "data", "meta/labels.csv")
    write_lines(root / "meta" / "visibility.csv", "file,glasses_color,hair", "a.png,0,1", "sub/c.png,0,0", "b.png,1,1")
    labels = manifest(root, "meta/labels.csv")
    assert not_drawn(labels, root) == {"a.png": {"glasses_color"}, "sub/c.png": {"glasses_color", "hair"}}
    assert labels.found == 3 and not labels.skipped


def test_folders_source_reads_data_visibility_csv_and_does_not_count_it_as_a_skipped_file(tmp_path):
    root = tmp_path / "data"
    for rel in ("cat/a.png", "cat/b.png", "dog/c.png"):
        write_image(root, rel)
    write_lines(root / "visibility.csv", "file,class", "cat/b.png,0", "dog/c.png,1")
    labels = load_labels(root, source="folders")
    assert not_drawn(labels, root) == {"cat/b.png": {"class"}}
    assert labels.found == 3 and not labels.skipped


def test_filename_source_with_a_given_table_and_hidden_csv_ignored(tmp_path):
    root = tmp_path / "data"
    for rel in ("red_1.png", "blue_2.png"):
        write_image(root, rel)
    write_lines(root / "hidden.csv", "file,attribute", "red_1.png,color")
    write_lines(tmp_path / "elsewhere.csv", "file,color", "blue_2.png,0")
    options = SourceOptions(pattern=r"(?P<color>[a-z]+)_\d+\.png$", visibility=str(tmp_path / "elsewhere.csv"))
    labels = load_labels(root, source="filename", options=options)
    assert not_drawn(labels, root) == {"blue_2.png": {"color"}}
    none = load_labels(root, source="filename", options=SourceOptions(pattern=options.pattern, visibility="none"))
    assert not_drawn(none, root) == {}


def test_cartoonset_reads_hidden_csv_through_the_shared_table(tmp_path):
    root = make_toy_cartoonset(tmp_path / "toy", n=4, size=8)
    write_lines(root / "hidden.csv", "file,attribute", "1/toy00001.png,size")
    assert not_drawn(load_labels(root), root) == {"1/toy00001.png": {"size"}}
    write_lines(root / "visibility.csv", "file,color,size", "2/toy00002.png,0,1")  # visibility.csv comes first
    assert not_drawn(load_labels(root), root) == {"2/toy00002.png": {"color"}}


def test_a_column_that_is_no_label_is_an_error_with_the_valid_tasks(tmp_path):
    root = manifest_folder(tmp_path / "data")
    write_lines(root / "visibility.csv", "file,glasses_colour", "a.png,0")
    with pytest.raises(DataError) as e:
        manifest(root)
    text = str(e.value)
    assert "column 'glasses_colour' names task 'glasses_colour'" in text and "Did you mean 'glasses_color'?" in text
    assert "Valid tasks: glasses, glasses_color, hair" in text


def test_a_task_left_out_by_tasks_is_only_a_warning(tmp_path, caplog):
    root = manifest_folder(tmp_path / "data")
    write_lines(root / "v.csv", "file,glasses_color,hair", "a.png,0,0")
    with caplog.at_level(logging.WARNING, logger="toonlab.data.visibility"):
        labels = load_labels(root, source="manifest", tasks="hair",
                             options=SourceOptions(labels="labels.csv", visibility="v.csv"))
    assert not_drawn(labels, root) == {"a.png": {"hair"}}
    assert "glasses_color are not among the chosen tasks" in caplog.text


def test_rows_for_images_not_in_the_data_are_counted_in_a_warning(tmp_path, caplog):
    root = manifest_folder(tmp_path / "data")
    write_lines(root / "visibility.csv", "file,hair", "a.png,0", "gone.png,0", "old/x.png,1")
    with caplog.at_level(logging.WARNING, logger="toonlab.data.visibility"):
        labels = manifest(root)
    assert not_drawn(labels, root) == {"a.png": {"hair"}}
    assert "2 of the 3 images it lists are not in the data (e.g. 'gone.png', line 3)" in caplog.text


def test_a_combined_task_is_not_drawn_where_a_factor_is_not(tmp_path):
    root = manifest_folder(tmp_path / "data")
    write_lines(root / "visibility.csv", "file,glasses_color", "a.png,0")
    labels = load_labels(root, source="manifest", tasks="glasses+glasses_color",
                         options=SourceOptions(labels="labels.csv", combine=["glasses+glasses_color"]))
    assert not_drawn(labels, root) == {"a.png": {"glasses_color", "glasses+glasses_color"}}


def test_without_usable_images_the_table_is_not_checked(tmp_path):
    root = tmp_path / "data"
    write_image(root, "0/cs1.png")  # no sidecar: skipped, so the source knows no task at all
    write_lines(root / "hidden.csv", "file,attribute", "0/cs1.png,glasses_color")
    labels = load_labels(root, source="cartoonset")
    assert not labels.samples and "no label file" in labels.skipped[0].reason

"""``data.exclude``: the images a CSV lists become skipped items with a reason; mistakes in the CSV are sentences."""

from __future__ import annotations

import pytest

from toonlab.data.exclude import exclude_listed
from toonlab.data.sources import load_labels
from toonlab.errors import DataError
from toonlab.testing import write_image, write_lines


@pytest.fixture
def folder(tmp_path):
    for name in ("cat", "dog"):
        for i in range(3):
            write_image(tmp_path / "data", f"{name}/{name}{i}.png")
    return tmp_path / "data"


def test_listed_files_move_to_skipped_with_the_reason(folder, tmp_path):
    labels = load_labels(folder, source="folders")
    listing = write_lines(tmp_path / "x.csv", "file,note", "cat/cat1.png,blurry", f"{folder / 'dog/dog0.png'},")
    out = exclude_listed(labels, listing, root=folder)
    assert len(out.samples) == 4 and out.found == labels.found == len(out.samples) + len(out.skipped)
    assert {s.path.rsplit("/", 1)[1]: s.reason for s in out.skipped} == {
        "cat1.png": "excluded by --exclude x.csv", "dog0.png": "excluded by --exclude x.csv"}


def test_an_audit_row_names_the_task_and_both_labels(folder, tmp_path):
    listing = write_lines(tmp_path / "audit.csv", "file,task,given,suggested", "cat/cat0.png,label,cat,dog")
    out = exclude_listed(load_labels(folder, source="folders"), listing, root=folder)
    assert out.skipped[0].reason == ("excluded by --exclude audit.csv (suspected label error: label: given 'cat', "
                                     "suggested 'dog')")


@pytest.mark.parametrize("lines, message", [
    (["name", "cat/cat0.png"], "has no 'file' column"),
    (["file", "elsewhere/a.png"], "none of its 1 files is an image of"),
])
def test_a_listing_that_cannot_apply_is_refused(folder, tmp_path, lines, message):
    listing = write_lines(tmp_path / "x.csv", *lines)
    with pytest.raises(DataError, match=message):
        exclude_listed(load_labels(folder, source="folders"), listing, root=folder)


def test_a_missing_listing_is_refused(folder, tmp_path):
    with pytest.raises(DataError, match="cannot be read as a CSV file"):
        exclude_listed(load_labels(folder, source="folders"), tmp_path / "none.csv", root=folder)

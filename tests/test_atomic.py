"""Atomic writes: the target holds the old or the new text, never half of one; nothing is left behind."""

import pytest

from toonlab.atomic import replacing, write_text_atomic


def test_the_new_text_replaces_the_old_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old")
    assert write_text_atomic(path, "new") == path and path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_an_error_while_writing_leaves_the_old_file_as_it_was(tmp_path):
    path = tmp_path / "splits.csv"
    path.write_text("file,split\na.png,train\n")
    with pytest.raises(RuntimeError), replacing(path, newline="") as f:
        f.write("file,split\n")
        raise RuntimeError("killed half-way")
    assert path.read_text() == "file,split\na.png,train\n" and len(list(tmp_path.iterdir())) == 1

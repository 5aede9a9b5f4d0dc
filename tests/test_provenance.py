"""Versions and data fingerprints: recorded by training, compared by evaluation, said in plain words."""

import importlib.metadata

import pytest

from toonlab import __version__
from toonlab.provenance import changes, library_versions

DATA = {"sha256": "aaaa", "files": 60, "names": "n1", "images": "i1", "labels": "l1"}


def test_library_versions_name_toonlab_torch_and_torchvision():
    versions = library_versions()
    assert versions["toonlab"] == __version__
    assert versions["torch"] == importlib.metadata.version("torch")
    assert versions["torchvision"] == importlib.metadata.version("torchvision")


def test_nothing_changed_says_nothing():
    same = {"versions": library_versions(), "data": DATA}
    assert changes(same, dict(same)) == []


def test_a_version_change_names_the_library_and_both_versions():
    trained = {"versions": {"toonlab": "0.1.0", "torch": "2.5.1", "numpy": "2.0"}, "data": DATA}
    now = {"versions": {"toonlab": "0.1.0", "torch": "2.6.0", "numpy": "2.0"}, "data": DATA}
    assert changes(trained, now) == ["torch 2.5.1 -> 2.6.0"]


@pytest.mark.parametrize("part, words", [("labels", "the labels"), ("images", "the image files' contents"),
                                         ("names", "the list of image files")])
def test_a_data_change_names_the_part_that_changed(part, words):
    now = {"versions": {}, "data": {**DATA, "sha256": "bbbb", part: "x"}}
    (change,) = changes({"versions": {}, "data": DATA}, now)
    assert change.startswith(f"data: {words} changed") and "aaaa -> bbbb" in change


def test_a_different_number_of_images_is_counted_and_other_data_can_be_left_out():
    now = {"versions": {}, "data": {**DATA, "sha256": "bbbb", "files": 58, "names": "n2"}}
    (change,) = changes({"versions": {}, "data": DATA}, now)
    assert "the number of images (60 -> 58), the list of image files changed" in change
    assert changes({"versions": {}, "data": DATA}, now, data=False) == []


def test_what_an_older_run_did_not_record_is_not_compared():
    assert changes({"versions": {"toonlab": "0.0.9"}}, {"versions": library_versions(), "data": DATA}) == [
        f"toonlab 0.0.9 -> {__version__}"]

"""The data fingerprint is stable for the same data and names the part that changed."""

from PIL import Image

from toonlab.config import DataConfig
from toonlab.data.dataset import prepare_data
from toonlab.data.fingerprint import data_fingerprint
from toonlab.testing import set_label


def _fingerprint(data):
    return data_fingerprint(prepare_data(DataConfig(path=str(data), image_size=16, workers=1), seed=0))


def _changed(a, b):
    return sorted(k for k in a if a[k] != b[k])


def test_the_same_data_gives_the_same_fingerprint(toy_data):
    first = _fingerprint(toy_data)
    assert first == _fingerprint(toy_data) and first["files"] == 60 and len(first["sha256"]) == 64


def test_new_pixels_change_the_images_part_only(toy_data):
    before = _fingerprint(toy_data)
    Image.new("RGB", (24, 24), (1, 2, 3)).save(toy_data / "0" / "toy00000.png")
    assert _changed(before, _fingerprint(toy_data)) == ["images", "sha256"]


def test_new_labels_change_the_labels_part_only(toy_data):
    before = _fingerprint(toy_data)
    set_label(toy_data, "size", 1)
    assert _changed(before, _fingerprint(toy_data)) == ["labels", "sha256"]


def test_a_renamed_file_changes_the_names(toy_data):
    before = _fingerprint(toy_data)
    for ext in ("png", "csv"):
        (toy_data / "0" / f"toy00000.{ext}").rename(toy_data / "0" / f"toy99999.{ext}")
    assert "names" in _changed(before, _fingerprint(toy_data))

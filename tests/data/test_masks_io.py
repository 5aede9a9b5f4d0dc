"""Mask files: the bit layout round trip, masks.json, errors and resizing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from toonlab.data.masks import (MASK_SUFFIX, MASKS_FILE, mask_names, mask_path, read_mask, resize_mask, write_mask,
                                write_mask_names)
from toonlab.errors import DataError

NAMES = [f"attr{k}" for k in range(20)]


def random_masks(shape=(9, 7), names=NAMES, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.random(shape) < 0.3 for name in names}


def test_mask_path_sits_beside_the_image(tmp_path):
    assert mask_path(tmp_path / "0" / "csab.png") == tmp_path / "0" / ("csab" + MASK_SUFFIX)
    assert mask_path(tmp_path / "csab.mask.png") == tmp_path / "csab.mask.png"


def test_round_trip_of_twenty_bits(tmp_path):
    masks = random_masks()
    written = write_mask(tmp_path / "cs1.png", masks, NAMES)
    assert written == tmp_path / "cs1.mask.png"
    image = Image.open(written)
    assert image.mode == "RGB" and image.size == (7, 9)
    back = read_mask(tmp_path / "cs1.png", NAMES)
    assert list(back) == NAMES
    for name in NAMES:
        assert back[name].dtype == bool and back[name].shape == (9, 7)
        np.testing.assert_array_equal(back[name], masks[name])


def test_bit_layout_is_r_plus_256_g_plus_65536_b(tmp_path):
    where = np.zeros((2, 3), bool)
    where[0, 1] = True
    write_mask(tmp_path / "x.png", {"attr0": where, "attr9": where, "attr17": where}, NAMES)
    rgb = np.asarray(Image.open(tmp_path / "x.mask.png")).astype(int)
    value = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    assert value[0, 1] == (1 << 0) | (1 << 9) | (1 << 17)  # bit 17 lands in the blue channel
    assert rgb[0, 1, 2] == 2 and value.sum() == value[0, 1]


def test_names_left_out_are_empty_and_unknown_names_are_refused(tmp_path):
    write_mask(tmp_path / "x.png", {"attr3": np.ones((4, 4), bool)}, NAMES)
    back = read_mask(tmp_path / "x.png", NAMES)
    assert back["attr3"].all() and not any(back[n].any() for n in NAMES if n != "attr3")
    with pytest.raises(DataError, match="nope"):
        write_mask(tmp_path / "y.png", {"nope": np.ones((4, 4), bool)}, NAMES)
    with pytest.raises(DataError, match="24"):
        write_mask(tmp_path / "y.png", {}, [f"a{k}" for k in range(25)])


def test_names_come_from_masks_json_above_the_image(tmp_path):
    write_mask_names(tmp_path, NAMES, 7)
    assert json.loads((tmp_path / MASKS_FILE).read_text()) == {"format": 1, "bits": NAMES, "size": 7}
    assert mask_names(tmp_path) == NAMES
    (tmp_path / "3").mkdir()
    masks = random_masks(seed=1)
    write_mask(tmp_path / "3" / "cs2.png", masks, NAMES)
    back = read_mask(tmp_path / "3" / "cs2.png")
    assert all((back[n] == masks[n]).all() for n in NAMES)


def test_missing_masks_json_and_mask_file_say_how_to_make_them(tmp_path):
    with pytest.raises(DataError, match="toonlab synth .*--masks"):
        mask_names(tmp_path)
    with pytest.raises(DataError, match="toonlab synth .*--masks"):
        read_mask(tmp_path / "cs1.png", NAMES)
    (tmp_path / MASKS_FILE).write_text(json.dumps({"format": 9, "bits": NAMES}))
    with pytest.raises(DataError, match="format"):
        mask_names(tmp_path)


def test_bits_beyond_the_names_are_an_error(tmp_path):
    write_mask(tmp_path / "x.png", {"attr19": np.ones((3, 3), bool)}, NAMES)
    with pytest.raises(DataError, match="bits above"):
        read_mask(tmp_path / "x.png", NAMES[:5])


def test_resize_mask_by_area():
    mask = np.zeros((8, 8), bool)
    mask[0:4, 0:4] = True  # a full 2x2 block of the 4x4 result
    mask[5:7, 4:8] = True  # half of each of four blocks: not more than half, so dropped
    mask[0:3, 6:8] = True  # 3/4 of one block: kept
    small = resize_mask(mask, 4)
    assert small.dtype == bool and small.shape == (4, 4)
    expected = np.zeros((4, 4), bool)
    expected[0:2, 0:2] = True
    expected[0, 3] = True
    np.testing.assert_array_equal(small, expected)
    np.testing.assert_array_equal(resize_mask(small, 8), np.kron(small, np.ones((2, 2), bool)))  # nearest upwards
    assert resize_mask(mask, (2, 4)).shape == (2, 4)
    np.testing.assert_array_equal(resize_mask(mask, 8), mask)
    with pytest.raises(ValueError, match="size"):
        resize_mask(mask, 0)

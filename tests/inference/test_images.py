"""In-memory images decode exactly as their files do, whatever their layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from toonlab.data.cache import decode_image
from toonlab.errors import ToonlabError
from toonlab.inference.images import decode_item, image_items, to_pil
from toonlab.testing import make_toy_cartoonset

RGB = (65, 105, 225)


@pytest.fixture
def png(tmp_path):
    """One toy disc on a transparent background (RGBA)."""
    return sorted(make_toy_cartoonset(tmp_path / "toy", n=1, size=24).rglob("*.png"))[0]


@pytest.mark.parametrize("grayscale", [False, True])
def test_every_in_memory_form_decodes_like_the_file(png, grayscale):
    want = decode_image(png, 16, RGB, grayscale)
    rgba = np.array(Image.open(png))  # writable, for torch.from_numpy
    forms = [Image.open(png), rgba, rgba / 255.0, rgba.astype(np.float32) / 255,
             torch.from_numpy(rgba).permute(2, 0, 1), torch.from_numpy(rgba / 255.0).permute(2, 0, 1),
             torch.from_numpy(rgba)]  # a tensor whose last axis is the only channel-sized one: H×W×C
    for form in forms:
        np.testing.assert_array_equal(decode_item(form, 16, RGB, grayscale), want)


def test_grey_and_single_channel_arrays(png):
    grey = np.array(Image.open(png).convert("L"))
    assert to_pil(grey).mode == "L" and to_pil(grey[..., None]).mode == "L"
    assert to_pil(torch.from_numpy(grey)[None].float() / 255).mode == "L"


def test_batches_split_into_images_and_single_images_stay_single(png):
    assert image_items(np.zeros((5, 8, 8, 3), np.uint8))[0].__len__() == 5
    assert image_items(torch.zeros(2, 3, 8, 8))[1] is False
    assert image_items(np.zeros((8, 8, 3), np.uint8))[1] is True and image_items(png)[1] is True
    assert image_items([png, png]) == ([png, png], False)
    with pytest.raises(ToonlabError, match="images must be an image file path, a PIL image"):
        image_items(42)


def test_values_out_of_range_are_refused():
    with pytest.raises(ToonlabError, match=r"Float images must hold values in \[0, 1\]"):
        to_pil(np.full((4, 4, 3), 2.0))
    with pytest.raises(ToonlabError, match="Integer images must hold values 0-255"):
        to_pil(np.full((4, 4, 3), 300, np.int32))
    assert to_pil(np.full((4, 4, 3), 200, np.int64)).getpixel((0, 0)) == (200, 200, 200)

"""Rendering: format, determinism, per-attribute distinctness, hidden rules and masks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toonlab.data.synth import ATTRIBUTES, hidden_attributes, render_face, sample_attributes
from toonlab.data.synth.attributes import EYE_COLORS
from toonlab.data.synth.eyebrows import brow_polygon
from toonlab.data.synth.hair import FRINGE_FLOOR, TEMPLE, hair_front_shapes

# A face on which every attribute shows: glasses on (for their colour), a bob (not bald),
# and everything else at an ordinary value.
BASE = dict(eye_angle=1, eye_lashes=0, eye_lid=0, chin_length=1, eyebrow_weight=0, eyebrow_shape=1, face_shape=0,
            facial_hair=0, hair=24, glasses=2, eye_color=1, face_color=3, hair_color=2, glasses_color=1,
            eye_slant=1, eyebrow_thickness=1, eyebrow_width=1, eye_eyebrow_distance=1)
COLOURS = {"eye_color", "face_color", "hair_color", "glasses_color"}


def pixels(image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


def test_image_is_square_rgba_with_transparent_background():
    image = render_face(BASE, 96)
    a = pixels(image)
    assert image.mode == "RGBA" and image.size == (96, 96)
    assert (a[[0, 0, -1, -1], [0, -1, 0, -1], 3] == 0).all()
    assert (a[48, 48, 3] == 255)


def test_rendering_depends_only_on_the_attributes():
    attrs = sample_attributes(np.random.default_rng(3))
    assert render_face(attrs, 64).tobytes() == render_face(dict(attrs), 64).tobytes()


@pytest.mark.parametrize("size", [8, 15.5, "64"])
def test_bad_size_is_explained(size):
    with pytest.raises(ValueError, match="size"):
        render_face(BASE, size)


@pytest.mark.parametrize("name", list(ATTRIBUTES))
def test_every_variant_is_distinct_at_128px(name):
    """Every pair of variants differs in a meaningful number of pixels inside the attribute's mask."""
    images, masks = [], []
    for value in range(ATTRIBUTES[name]):
        image, where = render_face({**BASE, name: value}, 128, masks=True)
        images.append(pixels(image))
        masks.append(where[name])
    images, masks = np.stack(images), np.stack(masks)
    # Colours differ by a smaller step than shapes (neighbouring skin tones are ~32 RGB units apart).
    step = 12 if name in COLOURS else 40
    fewest = min_pair_difference(images, masks, step)
    assert fewest >= 8, f"{name}: two variants differ in only {fewest} pixels"


def min_pair_difference(images: np.ndarray, masks: np.ndarray, step: int) -> int:
    """Fewest pixels, over all pairs, that differ by more than ``step`` inside either variant's mask."""
    where = masks.any(axis=0)  # only pixels some variant draws can differ inside a mask
    images, masks = images[:, where], masks[:, where]
    fewest = int(where.sum())
    for i in range(len(images) - 1):
        changed = np.abs(images[i + 1:] - images[i]).max(axis=-1) > step
        fewest = min(fewest, int((changed & (masks[i + 1:] | masks[i])).sum(axis=1).min()))
    return fewest


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hidden_attributes_change_no_pixel_and_visible_ones_do(seed):
    attrs = sample_attributes(np.random.default_rng(seed))
    for case in (attrs, {**attrs, "glasses": 0, "hair": 0, "facial_hair": 0}):
        reference = render_face(case, 48).tobytes()
        hidden = hidden_attributes(case)
        for name, count in ATTRIBUTES.items():
            values = range(count) if name != "hair" else range(0, count, 13)
            same = [render_face({**case, name: v}, 48).tobytes() == reference for v in values if v != case[name]]
            if name in hidden:
                assert all(same), f"{name} is said to be hidden but changes the image"
            else:
                assert not any(same), f"{name} is visible but some variant draws the same image"


def test_glasses_colour_is_hidden_without_glasses_and_shown_with_them():
    bare = {**BASE, "glasses": 0}
    assert "glasses_color" in hidden_attributes(bare)
    assert len({render_face({**bare, "glasses_color": c}, 48).tobytes() for c in range(7)}) == 1
    assert len({render_face({**BASE, "glasses_color": c}, 48).tobytes() for c in range(7)}) == 7


def test_hair_never_reaches_the_eyebrows_or_eyes():
    highest_brow = min(brow_polygon(*k)[:, 1].min()
                       for k in itertools.product(range(14), range(2), range(4), range(3), range(3)))
    assert highest_brow > FRINGE_FLOOR + 0.007  # the hair's outline is 0.0065 wide
    for hair, face in itertools.product(range(ATTRIBUTES["hair"]), range(ATTRIBUTES["face_shape"])):
        for shape in hair_front_shapes(hair, face):  # includes a bald head's shine
            p = shape.points
            low = p[:, 1] > FRINGE_FLOOR + 0.007
            assert (np.abs(p[low, 0] - 0.5) >= TEMPLE - 0.007).all(), (hair, face)


def test_masks_cover_every_attribute_inside_the_drawing():
    for seed in range(4):
        attrs = sample_attributes(np.random.default_rng(seed))
        image, masks = render_face(attrs, 96, masks=True)
        drawn = pixels(image)[..., 3] > 0
        assert set(masks) == set(ATTRIBUTES)
        for name, mask in masks.items():
            assert mask.shape == (96, 96) and mask.dtype == bool
            assert not (mask & ~drawn).any(), name
            assert mask.any() == (name not in hidden_attributes(attrs)), name


def test_masks_lie_on_their_parts():
    attrs = {**BASE, "glasses": 0, "eye_color": 1}
    _, masks = render_face(attrs, 128, masks=True)
    ys, xs = np.nonzero(masks["eye_color"])
    # Irises: two small blobs around the eye centres (x = 0.4 and 0.6 of the width, y = 0.52).
    assert (np.abs(ys / 128 - 0.52) < 0.04).all()
    assert (np.minimum(np.abs(xs / 128 - 0.4), np.abs(xs / 128 - 0.6)) < 0.04).all()
    for colour in range(len(EYE_COLORS)):  # most iris pixels are nearest to the face's eye colour
        image, where = render_face({**attrs, "eye_color": colour}, 128, masks=True)
        iris = pixels(image)[..., :3][where["eye_color"]]
        nearest = np.abs(iris[:, None] - np.array(EYE_COLORS)[None]).sum(axis=-1).argmin(axis=1)
        assert np.bincount(nearest, minlength=len(EYE_COLORS)).argmax() == colour
    brows = np.nonzero(masks["eyebrow_shape"])[0]
    assert brows.max() / 128 < 0.50 and brows.min() / 128 > 0.33
    assert not (masks["hair"] & masks["eye_angle"]).any()
    assert masks["face_shape"].sum() > masks["face_color"].sum() * 0.9

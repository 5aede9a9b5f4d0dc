"""The attribute table, sampling and the hidden rules."""

from __future__ import annotations

import numpy as np
import pytest

from toonlab.data.synth import ATTRIBUTES, hidden_attributes, sample_attributes
from toonlab.data.synth.attributes import (EYE_COLORS, FACE_COLORS, GLASSES_COLORS, HAIR_COLORS,
                                           check_attributes)

CARTOONSET = {
    "eye_angle": 3, "eye_lashes": 2, "eye_lid": 2, "chin_length": 3, "eyebrow_weight": 2, "eyebrow_shape": 14,
    "face_shape": 7, "facial_hair": 15, "hair": 111, "glasses": 12, "eye_color": 5, "face_color": 11,
    "hair_color": 10, "glasses_color": 7, "eye_slant": 3, "eyebrow_thickness": 4, "eyebrow_width": 3,
    "eye_eyebrow_distance": 3,
}


def test_attributes_are_cartoonsets_in_order():
    assert list(ATTRIBUTES.items()) == list(CARTOONSET.items())


@pytest.mark.parametrize("name,palette", [("face_color", FACE_COLORS), ("hair_color", HAIR_COLORS),
                                          ("eye_color", EYE_COLORS), ("glasses_color", GLASSES_COLORS)])
def test_palettes_have_one_well_separated_colour_per_variant(name, palette):
    assert len(palette) == ATTRIBUTES[name]
    colours = np.array(palette, dtype=float)
    gaps = np.linalg.norm(colours[:, None] - colours[None], axis=-1) + np.eye(len(colours)) * 1e9
    assert gaps.min() >= 30  # neighbours in the pale-to-dark skin ramp are the closest pair


def test_face_colours_run_from_pale_to_dark():
    lightness = [sum(c) for c in FACE_COLORS]
    assert lightness == sorted(lightness, reverse=True)


def test_sampling_is_uniform_and_in_range():
    rng = np.random.default_rng(0)
    draws = [sample_attributes(rng) for _ in range(3000)]
    for name, count in ATTRIBUTES.items():
        values = np.array([d[name] for d in draws])
        assert values.min() == 0 and values.max() == count - 1
        if count <= 5:
            freq = np.bincount(values, minlength=count) / len(values)
            assert np.abs(freq - 1 / count).max() < 0.04, name


def test_sampling_depends_only_on_the_generator():
    assert sample_attributes(np.random.default_rng(7)) == sample_attributes(np.random.default_rng(7))


def test_glasses_colour_is_hidden_exactly_when_there_are_no_glasses():
    base = {name: 1 for name in ATTRIBUTES}
    assert hidden_attributes(base) == frozenset()
    assert hidden_attributes({**base, "glasses": 0}) == {"glasses_color"}
    # Bald and clean-shaven: the eyebrows still carry the hair colour, so nothing else is hidden.
    assert hidden_attributes({**base, "hair": 0, "facial_hair": 0}) == frozenset()


def test_most_images_show_every_attribute():
    rng = np.random.default_rng(1)
    hidden = [hidden_attributes(sample_attributes(rng)) for _ in range(2000)]
    for name in ATTRIBUTES:
        share = sum(name in h for h in hidden) / len(hidden)
        assert share < 0.15, name


@pytest.mark.parametrize("attrs,words", [({}, "missing"), ({**{n: 0 for n in CARTOONSET}, "hat": 1}, "unknown"),
                                         ({**{n: 0 for n in CARTOONSET}, "hair": 111}, "0..110")])
def test_bad_attributes_are_explained(attrs, words):
    with pytest.raises(ValueError, match=words):
        check_attributes(attrs)


def test_eyebrows_and_lashes_contrast_with_every_skin():
    from itertools import product

    from toonlab.data.synth.attributes import FACE_COLORS, HAIR_COLORS, legible, luminance
    from toonlab.data.synth.hair import hair_palette

    for skin, hair in product(FACE_COLORS, HAIR_COLORS):
        brow = legible(hair_palette(hair)["brow"], skin)
        assert abs(luminance(brow) - luminance(skin)) >= 75, (skin, hair, brow)

"""CartoonSet's 18 attributes, the palettes behind the colour attributes, sampling and visibility.

Names, variant counts and their order are exactly CartoonSet's, so files written by
``toonlab synth`` and the real CartoonSet 10k/100k load through the same code.

Hidden rules (an attribute is *hidden* when no pixel of the face depends on it):

- ``glasses_color`` is hidden when ``glasses`` is 0 (no glasses): there is no frame
  to colour.

That is the only rule, because the drawing keeps every other attribute visible:
hair never reaches below the eyebrows' highest possible position, glasses are a
frame over a lightly tinted lens (eyes show through), the eyelid covers at most the
top of the iris, and beards follow the jaw line (so face shape and chin length still
shape the beard). ``hair_color`` is visible even on a bald, clean-shaven face,
because eyebrows are drawn in a darkened hair colour, as in CartoonSet. The tests
check both directions: a hidden attribute changes no pixel, a visible one does.

Example:
    >>> import numpy as np
    >>> attrs = sample_attributes(np.random.default_rng(0))
    >>> sorted(attrs) == sorted(ATTRIBUTES)
    True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Colour = tuple[int, int, int]

ATTRIBUTES: dict[str, int] = {
    "eye_angle": 3,
    "eye_lashes": 2,
    "eye_lid": 2,
    "chin_length": 3,
    "eyebrow_weight": 2,
    "eyebrow_shape": 14,
    "face_shape": 7,
    "facial_hair": 15,
    "hair": 111,
    "glasses": 12,
    "eye_color": 5,
    "face_color": 11,
    "hair_color": 10,
    "glasses_color": 7,
    "eye_slant": 3,
    "eyebrow_thickness": 4,
    "eyebrow_width": 3,
    "eye_eyebrow_distance": 3,
}
"""Attribute name -> number of variants, in CartoonSet's order."""

# Skin from pale to dark: two straight runs (pale -> mid, mid -> dark) in equal steps of about
# 32 RGB units, so neighbours stay apart after downsizing and mid tones stay warm.
FACE_COLORS: tuple[Colour, ...] = (
    (255, 236, 222), (244, 218, 198), (233, 201, 175), (222, 183, 151), (211, 166, 128), (200, 148, 104),
    (176, 129, 90), (152, 110, 77), (128, 90, 63), (104, 71, 50), (80, 52, 36),
)

# Natural shades plus two dyed ones; hues and lightness chosen to be far apart.
HAIR_COLORS: tuple[Colour, ...] = (
    (38, 33, 35),     # black
    (88, 54, 33),     # dark brown
    (152, 102, 58),   # light brown
    (165, 58, 36),    # auburn
    (234, 124, 46),   # ginger
    (236, 196, 92),   # golden blond
    (246, 240, 210),  # platinum
    (150, 152, 160),  # grey
    (240, 118, 176),  # pink
    (72, 112, 218),   # blue
)

EYE_COLORS: tuple[Colour, ...] = (
    (112, 62, 26),    # brown
    (46, 122, 232),   # blue
    (48, 166, 74),    # green
    (226, 160, 38),   # amber
    (150, 156, 172),  # grey
)

GLASSES_COLORS: tuple[Colour, ...] = (
    (32, 32, 38),     # black
    (216, 40, 46),    # red
    (236, 182, 30),   # gold
    (40, 160, 70),    # green
    (20, 172, 182),   # teal
    (46, 86, 226),    # blue
    (146, 64, 196),   # purple
)

NO_GLASSES = 0


def sample_attributes(rng: np.random.Generator) -> dict[str, int]:
    """Draw every attribute uniformly and independently, as CartoonSet does.

    Args:
        rng: the generator to draw from (the only source of randomness).

    Returns:
        Attribute name -> 0-based variant index, in CartoonSet's order.

    Example:
        >>> attrs = sample_attributes(np.random.default_rng(1))
        >>> 0 <= attrs["hair"] < 111
        True
    """
    draws = rng.integers(0, list(ATTRIBUTES.values()))
    return {name: int(v) for name, v in zip(ATTRIBUTES, draws)}


def hidden_attributes(attrs: Mapping[str, int]) -> frozenset[str]:
    """The attributes that no pixel of this face depends on (see the module docstring).

    Example:
        >>> base = {name: 0 for name in ATTRIBUTES}
        >>> sorted(hidden_attributes(base))
        ['glasses_color']
    """
    check_attributes(attrs)
    hidden = set()
    if attrs["glasses"] == NO_GLASSES:
        hidden.add("glasses_color")
    return frozenset(hidden)


def check_attributes(attrs: Mapping[str, int]) -> None:
    """Raise ``ValueError`` unless ``attrs`` has every attribute with an index in range."""
    missing = [name for name in ATTRIBUTES if name not in attrs]
    extra = [name for name in attrs if name not in ATTRIBUTES]
    if missing or extra:
        raise ValueError(
            f"attrs must name exactly the 18 CartoonSet attributes; missing {missing}, unknown {extra}. "
            f"Valid names: {', '.join(ATTRIBUTES)}."
        )
    for name, count in ATTRIBUTES.items():
        value = attrs[name]
        if not isinstance(value, (int, np.integer)) or not 0 <= value < count:
            raise ValueError(f"attrs[{name!r}] must be an integer in 0..{count - 1}. Received: {value!r}")


def darker(colour: Colour, factor: float) -> Colour:
    """``colour`` scaled towards black (factor < 1) — outlines and eyebrows use it."""
    return tuple(int(round(c * factor)) for c in colour)  # type: ignore[return-value]


def mix(a: Colour, b: Colour, t: float) -> Colour:
    """The colour ``t`` of the way from ``a`` to ``b``."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))  # type: ignore[return-value]


def luminance(colour: Colour) -> float:
    """Perceived brightness 0..255 (Rec. 601 weights)."""
    r, g, b = colour
    return 0.299 * r + 0.587 * g + 0.114 * b


def legible(colour: Colour, against: Colour, min_contrast: float = 75.0) -> Colour:
    """``colour`` pushed towards black (or, where black is not enough, white) until its brightness
    differs from ``against`` by ``min_contrast``: thin dark strokes such as eyebrows and lashes
    would otherwise vanish on dark skin once the image is downsized for training."""
    back = luminance(against)
    if abs(luminance(colour) - back) >= min_contrast:
        return colour
    target = (0, 0, 0) if back >= min_contrast else (255, 255, 255)
    for step in range(1, 21):
        shade = mix(colour, target, step / 20)
        if abs(luminance(shade) - back) >= min_contrast:
            return shade
    return target


"""The eyes: eye_angle, eye_slant, eye_lid, eye_lashes and eye_color.

Each eye is built once in local coordinates (u points away from the nose, v down,
origin at the eye centre), then turned by eye_angle and mirrored into place, so
both eyes are symmetric. The four shape attributes change different things, so they
never imitate each other:

- eye_angle turns the whole eye (both lids and the corners);
- eye_slant tilts only the upper lid line, which cuts the top of the eye;
- eye_lid lowers that line to mid-eye and draws the lid above it;
- eye_lashes adds three lashes at the outer corner.

An eye is 10 % of the image wide, the iris 4.7 %, eye centres 20 % apart (CartoonSet's proportions).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import EYE_COLORS, Colour
from toonlab.data.synth.canvas import Part, Shape, fill, pen
from toonlab.data.synth.face import EYE_Y

EYE_DX = 0.10  # eye centre to face centre line
HALF_W, HALF_H = 0.05, 0.033
IRIS_R, PUPIL_R = 0.0235, 0.0095
ANGLES = np.radians([-13.0, 0.0, 13.0])  # eye_angle: outer corner down, level, up
SLANTS = np.radians([-24.0, 0.0, 24.0])  # eye_slant: the upper lid falls / is level / rises outwards
LID_TOP = (-0.68 * HALF_H, -0.10 * HALF_H)  # eye_lid: where the upper lid line crosses the centre
INK = (46, 34, 34)
WHITE = (250, 250, 248)


@lru_cache(maxsize=None)
def eye_shapes(eye_angle: int, eye_slant: int, eye_lid: int, eye_lashes: int) -> tuple[Shape, ...]:
    """Both eyes for these four attributes (the iris colour comes from the palette)."""
    shapes: list[Shape] = []
    for side in (-1, 1):
        shapes += _eye(ANGLES[eye_angle], SLANTS[eye_slant], eye_lid, eye_lashes, side)
    return tuple(shapes)


def _eye(angle: float, slant: float, lidded: int, lashes: int, side: int) -> list[Shape]:
    def place(p: geo.Points) -> geo.Points:
        q = geo.rotate(p, angle)
        return np.column_stack([0.5 + side * (EYE_DX + q[:, 0]), EYE_Y + q[:, 1]])

    # The upper lid line v = top - u*tan(slant); the eye opening is what lies below it.
    top, tilt = LID_TOP[lidded], np.tan(slant)
    keep = (-tilt, -1.0, -top)  # a*u + b*v <= c  <=>  v >= top - u*tilt
    ball = geo.ellipse(0.0, 0.0, HALF_W, HALF_H, n=44)
    opening = geo.clip(ball, *keep)
    shapes = []
    if lidded:
        shapes += fill(place(geo.clip(ball, tilt, 1.0, top)), "lid", Part.LID, outline="lid line", width=0.004)
    shapes.append(Shape(place(geo.dilate(opening, 0.0045)), "ink", Part.EYE_LINE))
    shapes.append(Shape(place(opening), "white", Part.EYE_WHITE))
    for (cx, cy, r), role in (((0.0, 0.002, IRIS_R), "iris"), ((0.0, 0.002, PUPIL_R), "pupil"),
                              ((0.008, -0.007, 0.0052), "glint")):
        disc = geo.clip(geo.ellipse(cx, cy, r, r, n=28), *keep)
        if len(disc) >= 3:
            shapes.append(Shape(place(disc), role, Part.IRIS))
    upper = _upper_line(opening, keep)
    shapes.append(pen(place(upper), 0.0056, "ink", Part.EYE_LINE))
    if lashes:
        shapes += [pen(place(lash), np.linspace(width, 0.0016, len(lash)), "lash", Part.LASHES)
                   for lash, width in _lashes(upper)]
    return shapes


def eye_palette(eye_color: int) -> dict[str, Colour]:
    """Colours of the eye parts; only the iris depends on an attribute."""
    return {"ink": INK, "white": WHITE, "iris": EYE_COLORS[eye_color], "pupil": (24, 20, 22),
            "glint": (255, 255, 255)}


def _upper_line(opening: geo.Points, keep: tuple[float, float, float]) -> geo.Points:
    """The top edge of the opening (on the lid line or above the centre), inner corner to outer."""
    a, b, c = keep
    on_line = np.abs(opening @ np.array([a, b]) - c) < 1e-9
    upper = opening[on_line | (opening[:, 1] < 0)]
    return upper[np.argsort(upper[:, 0])]


def _lashes(upper: geo.Points) -> list[tuple[geo.Points, float]]:
    """A bold wing at the outer corner plus two lashes above it, as (centre line, base half-width).

    The wing carries most of the ink, so the attribute survives downsizing to 64 px.
    """
    u = upper[:, 0]
    lashes = []
    for frac, tilt, length, width in ((0.6, 75, 0.02, 0.0045), (0.8, 52, 0.022, 0.005), (1.0, 28, 0.025, 0.0078)):
        at = u.min() + frac * (u.max() - u.min())
        start = np.array([at, np.interp(at, u, upper[:, 1])])
        a = np.radians(tilt)
        bend = np.array([[0, 0], [0.55, 0.0], [1.0, 0.12]]) * length
        c, s = np.cos(a), np.sin(a)
        lashes.append((geo.spline(start + bend @ np.array([[c, -s], [-s, -c]]), closed=False, steps=3), width))
    return lashes

"""The head: face outline (face_shape x chin_length), ears, nose, mouth and cheeks.

Proportions follow CartoonSet: the face is about 55 % of the image wide, centred a
little low, eyes on y = 0.52. Face shapes differ in forehead, cheekbone, jaw and chin
widths; all but the forehead stay visible under every hair style, because hair stops at
the temples. Geometry is cached per (face_shape, chin_length); colours come from a palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import Colour, darker, mix
from toonlab.data.synth.canvas import Part, Shape, fill, pen

SKULL_Y, SKULL_RY = 0.44, 0.24  # the crown: an ellipse whose top is at y = 0.20
EYE_Y = 0.52
NOSE_Y = 0.638
MOUTH_Y = 0.712
CHIN_Y = (0.83, 0.868, 0.906)  # chin_length 0, 1, 2
OUTLINE = 0.0065

# face_shape -> half-widths: forehead (crown), cheekbone (y=.52), mid-face (y=.62),
# jaw (45 % of the way from .62 to the chin), lower jaw (85 %), and the flat part of the chin.
SHAPES: tuple[tuple[float, float, float, float, float, float], ...] = (
    (0.265, 0.275, 0.262, 0.228, 0.140, 0.00),  # oval
    (0.285, 0.300, 0.295, 0.272, 0.185, 0.00),  # round
    (0.280, 0.285, 0.285, 0.280, 0.245, 0.17),  # square
    (0.290, 0.290, 0.280, 0.215, 0.085, 0.00),  # heart: broad top, pointed chin
    (0.235, 0.240, 0.275, 0.305, 0.260, 0.12),  # pear: narrow top, wide jaw
    (0.245, 0.245, 0.240, 0.225, 0.175, 0.07),  # oblong: narrow all the way
    (0.245, 0.315, 0.250, 0.190, 0.120, 0.00),  # diamond: wide cheekbones only
)


@dataclass(frozen=True)
class Head:
    """The face outline and the measurements other parts are placed by."""

    outline: geo.Points  # closed, clockwise on screen, starting at the top of the crown
    forehead: float  # half-width of the crown; hair is built around it
    chin_y: float

    def half_width(self, y):
        """Half the face width at height ``y`` (scalar or array)."""
        right = self.outline[self.outline[:, 0] >= 0.5]
        order = np.argsort(right[:, 1])
        return np.interp(y, right[order, 1], right[order, 0] - 0.5)

    def lower(self, y0: float) -> geo.Points:
        """The outline below ``y0``: a U from the right cheek round the chin to the left cheek."""
        return self.outline[self.outline[:, 1] >= y0]


@lru_cache(maxsize=None)
def make_head(face_shape: int, chin_length: int) -> Head:
    """Build the face outline for one face_shape and chin_length."""
    forehead, cheek, mid, jaw, low, flat = SHAPES[face_shape]
    chin = CHIN_Y[chin_length]
    t = np.radians([-90, -68, -46, -26, -10, 4])
    crown = np.column_stack([0.5 + forehead * np.cos(t), SKULL_Y + SKULL_RY * np.sin(t)])
    below = [(0.5 + cheek, EYE_Y), (0.5 + mid, 0.62),
             (0.5 + jaw, 0.62 + 0.45 * (chin - 0.62)), (0.5 + low, 0.62 + 0.85 * (chin - 0.62))]
    right = np.vstack([crown, below] + ([[(0.5 + flat, chin)]] if flat else []))
    bottom = [] if flat else [[(0.5, chin)]]
    loop = np.vstack([right] + bottom + [geo.mirror(right[1:])[::-1]])
    return Head(geo.spline(loop, closed=True, steps=5), forehead, chin)


@lru_cache(maxsize=None)
def ear_shapes(face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """Two simple ears at eye-to-nose height (painted behind hair and face)."""
    head, y, shapes = make_head(face_shape, chin_length), 0.552, []
    for side in (-1, 1):
        x = 0.5 + side * (float(head.half_width(y)) + 0.008)
        shapes += fill(geo.ellipse(x, y, 0.034, 0.05, n=28), "skin", Part.EAR, outline="skin line", width=OUTLINE)
        start = np.pi * (0.5 - side * 0.5)
        fold = geo.ellipse(x, y, 0.016, 0.028, n=12, start=start - 1.3, stop=start + 1.3)
        shapes.append(pen(fold, 0.0035, "skin fold", Part.EAR))
    return tuple(shapes)


@lru_cache(maxsize=None)
def face_shapes(face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """The face with its darker outline, cheeks and nose (the last two are fixed)."""
    head = make_head(face_shape, chin_length)
    shapes = fill(head.outline, "skin", Part.FACE, outline="skin line", width=OUTLINE)
    shapes.append(Shape(geo.dilate(head.outline, OUTLINE), "", kind="region", region="face"))
    for side in (-1, 1):
        shapes.append(Shape(geo.ellipse(0.5 + side * 0.165, 0.618, 0.032, 0.017, n=20), "blush", Part.FACE))
    nose = geo.spline([(0.484, NOSE_Y - 0.004), (0.5, NOSE_Y + 0.008), (0.516, NOSE_Y - 0.004)], closed=False)
    shapes.append(pen(nose, 0.0042, "nose", Part.NOSE))
    return tuple(shapes)


# A small closed smile, the same on every face.
MOUTH: tuple[Shape, ...] = (
    pen(geo.spline([(0.458, MOUTH_Y - 0.012), (0.482, MOUTH_Y + 0.006), (0.518, MOUTH_Y + 0.006),
                    (0.542, MOUTH_Y - 0.012)], closed=False), 0.0058, "mouth", Part.MOUTH),
)


def face_palette(skin: Colour) -> dict[str, Colour]:
    """Colours derived from the skin colour."""
    return {"skin": skin, "skin line": darker(skin, 0.62), "skin fold": darker(skin, 0.78),
            "blush": mix(skin, (255, 112, 122), 0.22), "nose": darker(skin, 0.72), "lid": darker(skin, 0.9),
            "lid line": darker(skin, 0.6), "shine": mix(skin, (255, 255, 255), 0.45), "mouth": (128, 48, 52)}

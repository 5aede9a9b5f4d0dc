"""The eyebrows: eyebrow_shape, eyebrow_weight, eyebrow_thickness, eyebrow_width, eye_eyebrow_distance.

An eyebrow is a pen stroke along a centre curve that starts just outside the nose
line and runs outwards. The five attributes map to five independent properties, so
no two of them can imitate each other: the curve (shape), the taper (weight: even,
or heavy at the inner end and pointed at the outer end), the pen width (thickness),
the length (width) and the height above the eye (distance). Eyebrows are drawn in a
darkened hair colour, as in CartoonSet, so they show on every skin tone; colour is
never used for an eyebrow attribute.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.canvas import Part, Shape
from toonlab.data.synth.eyes import HALF_H
from toonlab.data.synth.face import EYE_Y

INNER = 0.045  # the inner end, measured from the face centre line
LENGTHS = (0.098, 0.120, 0.142)  # eyebrow_width
THICKNESS = (0.010, 0.0165, 0.023, 0.030)  # eyebrow_thickness (pen width)
DISTANCE = (0.050, 0.068, 0.086)  # eye_eyebrow_distance: eye top to the brow's base line
RISE = 0.022  # one unit of the shape curves below

# eyebrow_shape: height of the centre line (in RISE units) at points t = 0 (inner end) .. 1 (outer end).
_T = np.linspace(0.0, 1.0, 17)
SHAPES: tuple[np.ndarray, ...] = (
    np.zeros_like(_T),                                    # straight
    0.75 * np.sin(np.pi * _T),                            # soft arch
    1.40 * np.sin(np.pi * _T),                            # high arch
    np.interp(_T, [0, 0.62, 1], [0, 1.25, 0.1]),          # angled, peak two-thirds out
    1.30 * _T,                                            # rising straight (stern)
    1.30 * (1 - _T),                                      # falling straight (worried)
    0.45 + 0.75 * np.sin(2 * np.pi * _T),                 # S-curve
    0.45 - 0.75 * np.sin(2 * np.pi * _T),                 # reversed S
    0.95 - 0.95 * np.sin(np.pi * _T),                     # sagging (upside-down arch)
    np.interp(_T, [0, 0.72, 1], [0.6, 0.95, -0.4]),       # hooked down at the tail
    np.interp(_T, [0, 0.55, 1], [0, 0.05, 1.3]),          # flat, tail flicked up
    np.interp(_T, [0, 0.28, 1], [0.35, 1.25, 0]),         # peak near the nose
    0.55 + 0.45 * np.sin(4 * np.pi * _T),                 # wavy
    np.interp(_T, [0, 0.38, 0.55, 1], [0, 0, 1.1, 0.95]), # stepped
)


@lru_cache(maxsize=None)
def brow_shapes(shape: int, weight: int, thickness: int, width: int, distance: int) -> tuple[Shape, ...]:
    """Both eyebrows (role "brow": a darkened hair colour)."""
    brow = brow_polygon(shape, weight, thickness, width, distance)
    return Shape(brow, "brow", Part.BROW), Shape(geo.mirror(brow), "brow", Part.BROW)


def brow_polygon(shape: int, weight: int, thickness: int, width: int, distance: int) -> geo.Points:
    """The right-hand eyebrow (viewer's right) as a closed polygon."""
    base = EYE_Y - HALF_H - DISTANCE[distance]
    centre = np.column_stack([0.5 + INNER + LENGTHS[width] * _T, base - RISE * SHAPES[shape]])
    # weight 1 is a heavy brow: 55 % thicker at the inner end, tapering to a point outside.
    taper = np.ones_like(_T) if weight == 0 else 1.55 - 1.3 * _T
    half = THICKNESS[thickness] / 2
    return geo.stroke(centre, half * taper)

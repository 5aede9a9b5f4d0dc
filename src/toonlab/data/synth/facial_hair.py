"""The 15 facial-hair variants, drawn in the hair colour.

0 none, 1 stubble, 2 full beard, 3 chin strap, 4 goatee, 5 circle beard, 6 chevron
moustache, 7 handlebar, 8 pencil moustache, 9 soul patch, 10 mutton chops, 11 long
pointed beard, 12 horseshoe moustache, 13 chin curtain, 14 walrus moustache.

Beards are built from the face outline (grown outwards, or a band along it), so the
face shape and chin length still show through them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.canvas import Part, Shape, fill
from toonlab.data.synth.face import Head, make_head

STUBBLE = 1
_WIDTH = 0.005  # outline width


@lru_cache(maxsize=None)
def stubble_shapes(index: int, face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """Stubble sits under the mouth, so it is painted before it (every other variant after)."""
    if index != STUBBLE:
        return ()
    cheeks = [(0.33, 0.63), (0.43, 0.672), (0.57, 0.672), (0.67, 0.63)]
    lower = make_head(face_shape, chin_length).lower(0.585)
    return (Shape(np.vstack([lower, cheeks]), "stubble", Part.FACIAL_HAIR, kind="stipple"),)


@lru_cache(maxsize=None)
def facial_hair_shapes(index: int, face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """Facial-hair variant ``index`` (see the module docstring), painted over the mouth."""
    head = make_head(face_shape, chin_length)
    return tuple(s for shape in _shapes(head, index)
                 for s in fill(shape, "hair", Part.FACIAL_HAIR, outline="hair line", width=_WIDTH))


def _shapes(head: Head, index: int) -> list[geo.Points]:
    c = head.chin_y
    moustache = _closed([(-0.068, 0.703), (-0.05, 0.680), (0, 0.668), (0.05, 0.680), (0.068, 0.703), (0, 0.695)])
    builders = {
        2: lambda: [_full_beard(head), moustache],
        3: lambda: [_band(head, 0.50, 0.008, -0.022)],
        4: lambda: [_closed([(-0.045, 0.742), (0.045, 0.742), (0.032, c - 0.02), (0, c + 0.018), (-0.032, c - 0.02)])],
        5: lambda: [_closed([(-0.076, 0.69), (-0.07, c - 0.03), (0, c + 0.012), (0.07, c - 0.03), (0.076, 0.69),
                             (0.056, 0.70), (0.04, 0.735), (0, 0.745), (-0.04, 0.735), (-0.056, 0.70)]),
                    moustache],
        6: lambda: [moustache],
        7: lambda: _handlebar(),
        8: lambda: [geo.stroke(_curve([(-0.05, 0.695), (0, 0.689), (0.05, 0.695)]), 0.0038)],
        9: lambda: [_closed([(-0.015, 0.734), (0.015, 0.734), (0, 0.764)])],
        10: lambda: _chops(head),
        11: lambda: [_full_beard(head, point=0.10), moustache],
        12: lambda: [geo.stroke(_curve([(-0.075, c - 0.035), (-0.076, 0.70), (-0.055, 0.676), (0, 0.669),
                                        (0.055, 0.676), (0.076, 0.70), (0.075, c - 0.035)]), 0.0105)],
        13: lambda: [_band(head, 0.60, 0.014 + 0.016 * _chin_weight(head), -0.036)],
        14: lambda: [_closed([(-0.085, 0.728), (-0.075, 0.685), (-0.03, 0.664), (0.03, 0.664), (0.075, 0.685),
                              (0.085, 0.728), (0.05, 0.722), (0.028, 0.736), (0, 0.725), (-0.028, 0.736),
                              (-0.05, 0.722)])],
    }
    return builders[index]() if index in builders else []


def _curve(points) -> geo.Points:
    """An open smooth curve through (x from centre, y) points."""
    return geo.spline(np.array(points) + (0.5, 0.0), closed=False, steps=5)


def _closed(points) -> geo.Points:
    """A closed smooth shape through (x from centre, y) points."""
    return geo.spline(np.array(points) + (0.5, 0.0), closed=True, steps=5)


def _chin_weight(head: Head) -> np.ndarray:
    """0 at y = 0.6 growing to 1 at the chin, per outline point: beards are thickest at the chin."""
    return np.clip((head.outline[:, 1] - 0.6) / (head.chin_y - 0.6), 0.0, 1.0)


def _band(head: Head, y0: float, out, into: float) -> geo.Points:
    """A band along the outline below ``y0``, from ``out`` outside it to ``into`` (negative) inside."""
    below = head.outline[:, 1] >= y0
    outer = geo.dilate(head.outline, out)[below]
    inner = geo.dilate(head.outline, into)[below]
    return np.vstack([outer, inner[::-1]])


def _full_beard(head: Head, point: float = 0.0) -> geo.Points:
    """Cheeks, jaw and chin grown outwards, with an opening around the mouth; ``point`` adds a long tip."""
    below = head.outline[:, 1] >= 0.56
    outer = geo.dilate(head.outline, 0.012 + 0.03 * _chin_weight(head))[below]
    tip = np.clip(1 - np.abs(outer[:, 0] - 0.5) / 0.13, 0, 1) ** 1.5
    outer[:, 1] += point * tip
    inset = float(head.half_width(0.6)) - 0.035
    mouth = _curve([(-inset, 0.58), (-0.11, 0.69), (-0.06, 0.745), (0, 0.757), (0.06, 0.745), (0.11, 0.69),
                    (inset, 0.58)])
    return np.vstack([outer, mouth])


def _handlebar() -> list[geo.Points]:
    right = _curve([(0.0, 0.683), (0.04, 0.688), (0.07, 0.693), (0.092, 0.678), (0.088, 0.660)])
    shape = geo.stroke(right, np.linspace(0.0095, 0.003, len(right)))
    return [shape, geo.mirror(shape)]


def _chops(head: Head) -> list[geo.Points]:
    """Broad sideburns running down the cheeks to the jaw, stopping short of the chin."""
    y = head.outline[:, 1]
    side = (y >= 0.47) & (y <= 0.70) & (head.outline[:, 0] > 0.5)
    outer = geo.dilate(head.outline, 0.01)[side]
    inner = geo.dilate(head.outline, -0.05)[side]
    shape = np.vstack([outer, inner[::-1]])
    return [shape, geo.mirror(shape)]

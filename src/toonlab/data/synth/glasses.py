"""The 12 glasses variants (0 = none) and their frame colour.

1 round, 2 rectangular, 3 aviator, 4 cat-eye, 5 browline, 6 hexagonal, 7 wayfarer,
8 bold oval, 9 half-moon readers, 10 slim oval, 11 monocle.

A lens is about 14 % of the image wide, centred on the eye. Frames are opaque; lenses
get only a light tint of the frame colour, so eye colour shows through.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import NO_GLASSES
from toonlab.data.synth.canvas import Part, Shape, pen
from toonlab.data.synth.eyes import EYE_DX
from toonlab.data.synth.face import EYE_Y, Head, make_head

LENS_Y = EYE_Y + 0.01


@dataclass(frozen=True)
class Frame:
    """One glasses variant: lens outline (right lens, u outwards from the eye centre, v down) and rim width."""

    lens: geo.Points
    rim: float = 0.011
    top_bar: bool = False  # browline: a heavy bar along the top of the rim
    double_bridge: bool = False  # aviator
    single: bool = False  # monocle


def _rounded_rect(hw: float, hh: float, r: float) -> geo.Points:
    corners = [(hw - r, hh - r, 0.0), (-hw + r, hh - r, 0.5), (-hw + r, -hh + r, 1.0), (hw - r, -hh + r, 1.5)]
    return np.vstack([geo.ellipse(x, y, r, r, n=8, start=np.pi * a, stop=np.pi * (a + 0.5)) for x, y, a in corners])


def _smooth(points) -> geo.Points:
    return geo.spline(np.array(points, dtype=float), closed=True, steps=6)


def _polygon(points) -> geo.Points:
    """A straight-sided lens, densified so the rim's offset stays even along each side."""
    p = np.array(points, dtype=float)
    q = np.roll(p, -1, 0)
    t = np.linspace(0, 1, 6, endpoint=False)[:, None, None]
    return (p + (q - p) * t).transpose(1, 0, 2).reshape(-1, 2)


FRAMES: dict[int, Frame] = {
    1: Frame(geo.ellipse(0, 0, 0.062, 0.062, n=48)),
    2: Frame(_rounded_rect(0.07, 0.043, 0.012)),
    3: Frame(_smooth([(-0.066, -0.036), (0, -0.043), (0.066, -0.038), (0.064, 0.008), (0.036, 0.046),
                      (-0.012, 0.054), (-0.052, 0.032), (-0.068, 0.0)]), rim=0.008, double_bridge=True),
    4: Frame(_smooth([(-0.064, -0.028), (0, -0.036), (0.056, -0.044), (0.086, -0.058), (0.07, -0.002),
                      (0.038, 0.034), (-0.022, 0.038), (-0.06, 0.018)])),
    5: Frame(_rounded_rect(0.068, 0.04, 0.016), rim=0.005, top_bar=True),
    6: Frame(_polygon([(0.07, 0.0), (0.035, 0.052), (-0.035, 0.052), (-0.07, 0.0), (-0.035, -0.052),
                       (0.035, -0.052)])),
    7: Frame(_smooth([(-0.068, -0.044), (0.0, -0.046), (0.072, -0.05), (0.066, 0.012), (0.05, 0.036),
                      (-0.045, 0.036), (-0.062, 0.018)]), rim=0.018),
    8: Frame(geo.ellipse(0, 0, 0.071, 0.055, n=52), rim=0.017),
    9: Frame(np.vstack([geo.ellipse(0, 0.012, 0.066, 0.044, n=26, start=0, stop=np.pi),
                        np.column_stack([np.linspace(-0.066, 0.066, 10)[1:-1], np.full(8, 0.012)])])),
    10: Frame(geo.ellipse(0, 0, 0.07, 0.04, n=44), rim=0.008),
    11: Frame(geo.ellipse(0, 0, 0.062, 0.062, n=44), rim=0.009, single=True),
}


@lru_cache(maxsize=None)
def glasses_shapes(glasses: int, face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """The glasses (role "frame"); nothing for variant 0."""
    if glasses == NO_GLASSES:
        return ()
    frame, head = FRAMES[glasses], make_head(face_shape, chin_length)
    shapes = []
    for side in (1,) if frame.single else (-1, 1):
        def place(p: geo.Points, side: int = side) -> geo.Points:
            return np.column_stack([0.5 + side * (EYE_DX + p[:, 0]), LENS_Y + p[:, 1]])

        shapes.append(Shape(place(geo.dilate(frame.lens, frame.rim)), "frame", Part.FRAME, kind="ring",
                            inner=place(frame.lens), region="lens"))
        if frame.top_bar:
            top = frame.lens[frame.lens[:, 1] < -0.02]
            shapes.append(pen(place(top[np.argsort(top[:, 0])] - (0.0, 0.006)), 0.0105, "frame", Part.FRAME))
        shapes += _arm(head, frame, place)
    if frame.single:
        chain = geo.spline([(0.5 + EYE_DX, LENS_Y + 0.064), (0.5 + EYE_DX + 0.03, 0.7),
                            (0.5 + float(head.half_width(0.7)), 0.72)], closed=False, steps=8)
        shapes.append(pen(chain, 0.0028, "frame", Part.FRAME))
    else:
        shapes += _bridge(frame)
    return tuple(shapes)


def _arm(head: Head, frame: Frame, place) -> list[Shape]:
    """The temple arm, from the lens's outer edge to the side of the face."""
    outer = float(frame.lens[:, 0].max()) + frame.rim * 0.5
    y = -0.012
    end = float(head.half_width(LENS_Y + y)) - EYE_DX + 0.004
    if end <= outer:
        return []
    return [pen(place(np.array([(outer, y), (end, y - 0.004)])), 0.0045, "frame", Part.FRAME)]


def _bridge(frame: Frame) -> list[Shape]:
    inner = EYE_DX + float(frame.lens[:, 0].min()) - frame.rim * 0.5  # x from centre of the lens's inner edge
    bridge = geo.spline([(0.5 - inner, LENS_Y - 0.012), (0.5, LENS_Y - 0.02), (0.5 + inner, LENS_Y - 0.012)],
                        closed=False, steps=6)
    shapes = [pen(bridge, 0.0048, "frame", Part.FRAME)]
    if frame.double_bridge:
        top = float(frame.lens[:, 1].min())
        bar = np.array([(0.5 - inner - 0.03, LENS_Y + top - 0.004), (0.5 + inner + 0.03, LENS_Y + top - 0.004)])
        shapes.append(pen(bar, 0.0035, "frame", Part.FRAME))
    return shapes

"""The 111 hair styles: three hairless looks plus 6 silhouettes x 6 fringes x 3 volumes.

- 0 bald, 1 horseshoe (side tufts only), 2 buzz cut (stippled crown);
- 3..110: ``silhouette`` (crop, bob, long, afro, top bun, spiky) sets the outer shape,
  ``fringe`` (side-swept, blunt bangs, centre parting, high rounded, jagged, widow's
  peak) sets the hairline, ``volume`` (close, full, big) how far the hair stands off
  the head.

Hair is drawn in two layers, behind the face (bob, long, afro, bun) and in front of it
(crown and fringe). The front layer never comes below ``FRINGE_FLOOR`` between the
temples, so eyebrows and eyes are always fully visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import Colour, darker
from toonlab.data.synth.canvas import Part, Shape, fill, pen
from toonlab.data.synth.face import OUTLINE, SKULL_RY, SKULL_Y, Head, make_head

SPECIALS = ("bald", "horseshoe", "buzz")
SILHOUETTES = ("crop", "bob", "long", "afro", "bun", "spiky")
FRINGES = ("swept", "bangs", "centre", "high", "jagged", "peak")
VOLUMES = (0.010, 0.030, 0.052)  # how far the hair stands off the crown
FRINGE_FLOOR = 0.34  # lowest hair between the temples; the highest eyebrow starts at 0.352
TEMPLE = 0.222  # hair never comes closer than this to the centre line below the fringe

# Hairlines from the viewer's left temple to the right one: (x from centre, y).
_ZIGZAG = [(x, 0.345 if i % 2 == 0 else 0.295) for i, x in enumerate(np.linspace(-0.205, 0.205, 9))]
HAIRLINES: dict[str, list[tuple[float, float]]] = {
    "swept": [(-0.205, 0.30), (-0.15, 0.252), (-0.08, 0.245), (0.02, 0.28), (0.12, 0.33), (0.205, 0.345)],
    "bangs": [(-0.208, 0.335), (-0.17, 0.345), (0.0, 0.345), (0.17, 0.345), (0.208, 0.335)],
    "centre": [(-0.205, 0.34), (-0.12, 0.305), (-0.035, 0.252), (0.0, 0.238), (0.035, 0.252),
               (0.12, 0.305), (0.205, 0.34)],
    "high": [(-0.205, 0.33), (-0.13, 0.272), (0.0, 0.255), (0.13, 0.272), (0.205, 0.33)],
    "jagged": _ZIGZAG,
    "peak": [(-0.205, 0.31), (-0.14, 0.258), (-0.07, 0.272), (0.0, 0.318), (0.07, 0.272),
             (0.14, 0.258), (0.205, 0.31)],
}


@dataclass(frozen=True)
class Style:
    """One of the 111 hair variants, decoded."""

    special: str | None
    silhouette: str = ""
    fringe: str = ""
    volume: int = 0


def hair_style(index: int) -> Style:
    """Decode a ``hair`` index (0..110)."""
    if index < len(SPECIALS):
        return Style(SPECIALS[index])
    k = index - len(SPECIALS)
    return Style(None, SILHOUETTES[k // 18], FRINGES[(k // 3) % 6], k % 3)


@lru_cache(maxsize=None)
def hair_back_shapes(index: int, face_shape: int) -> tuple[Shape, ...]:
    """The part of the hair that lies behind the face (long hair, bob, afro, bun)."""
    style = hair_style(index)
    if style.special or style.silhouette in ("crop", "spiky"):
        return ()
    forehead = make_head(face_shape, 0).forehead
    return tuple(fill(_back_shape(style, forehead), "hair", Part.HAIR, outline="hair line", width=OUTLINE))


def _back_shape(style: Style, f: float) -> geo.Points:
    e = VOLUMES[style.volume]
    if style.silhouette == "afro":
        return geo.ellipse(0.5, 0.42, 0.335 + 1.2 * e, 0.335 + 1.2 * e, n=64)
    if style.silhouette == "bun":
        top = SKULL_Y - SKULL_RY - 0.012 - 1.3 * e
        return geo.ellipse(0.5, top - 0.028, 0.068 + 0.3 * e, 0.06 + 0.3 * e, n=40)
    if style.silhouette == "bob":
        side = [(f + 0.035 + e, 0.40), (f + 0.05 + e, 0.58), (f + 0.035 + e, 0.72), (f - 0.04, 0.765)]
    else:  # long
        side = [(f + 0.03 + e, 0.40), (f + 0.06 + e, 0.70), (f + 0.08 + e, 0.95), (f + 0.02, 1.04)]
    right = np.array([(0.5 + x, y) for x, y in side])
    return geo.spline(np.vstack([[(0.5, 0.25)], right, geo.mirror(right)[::-1]]), closed=True, steps=6)


@lru_cache(maxsize=None)
def hair_front_shapes(index: int, face_shape: int) -> tuple[Shape, ...]:
    """The crown and fringe, painted over the face."""
    style = hair_style(index)
    head = make_head(face_shape, 0)  # the chin does not change anything above the ears
    if style.special == "buzz":
        return (Shape(_buzz_shape(head), "buzz", Part.HAIR, kind="stipple"),)
    if style.special:
        return tuple(_hairless(head.forehead, style.special))
    front, fringe = _front_shape(style, head)
    shapes = fill(front, "hair", Part.HAIR, outline="hair line", width=OUTLINE)
    # A darker line echoing the hairline gives the hair some structure.
    mid = fringe[len(fringe) // 6: len(fringe) - len(fringe) // 6]
    return (*shapes, pen(mid - (0.0, 0.045), 0.0032, "hair shade", Part.HAIR))


def hair_palette(hair: Colour) -> dict[str, Colour]:
    """Colours derived from the hair colour (eyebrows and beards use them too)."""
    return {"hair": hair, "hair line": darker(hair, 0.6), "hair shade": darker(hair, 0.78),
            "buzz": darker(hair, 0.92), "brow": darker(hair, 0.6), "stubble": darker(hair, 0.6)}


def _front_shape(style: Style, head: Head) -> tuple[geo.Points, geo.Points]:
    """The front hair polygon and its fringe line (left to right)."""
    e, f = VOLUMES[style.volume], head.forehead
    if style.silhouette == "afro":
        r = 0.335 + 1.2 * e
        cx, cy, rx, ry = 0.5, 0.42, r, r
    else:
        cx, cy, rx, ry = 0.5, SKULL_Y, f + 0.012 + e, SKULL_RY + 0.012 + 1.3 * e
    drop = np.arcsin(min(1.0, (0.468 - cy) / ry))
    t = np.linspace(2 * np.pi + drop, np.pi - drop, 41)  # right side, over the top, to the left side
    outer = np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])
    if style.silhouette == "spiky":
        outer = _spikes(outer, cx, cy, 0.03 + 0.018 * style.volume)
    fringe = np.array([(0.5 + x, y) for x, y in HAIRLINES[style.fringe]])
    if style.fringe != "jagged":
        fringe = geo.spline(fringe, closed=False, steps=5)
    near = np.abs(fringe[:, 0] - 0.5) < TEMPLE
    fringe[near, 1] = np.minimum(fringe[near, 1], FRINGE_FLOOR)
    side = _side(style.silhouette, head, e)  # the right temple, or a lock down the right cheek
    return np.vstack([outer, geo.mirror(side)[::-1], fringe, side]), fringe


def _spikes(outer: geo.Points, cx: float, cy: float, amount: float) -> geo.Points:
    """Push every other point of the crown's upper part outwards into a spike."""
    radial = outer - (cx, cy)
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    tips = (np.arange(len(outer)) % 4 == 2) & (outer[:, 1] < cy - 0.06)
    return outer + radial * (amount * tips)[:, None]


def _side(silhouette: str, head: Head, e: float) -> geo.Points:
    """Where the front hair meets the right side of the face, from the fringe's end round to the crown's edge.

    Short styles stop at the temple; bob and long hair hang a lock over the cheek.
    """
    if silhouette not in ("bob", "long"):
        return np.array([(0.5 + max(TEMPLE, head.forehead - 0.03), 0.455)])
    bottom = 0.6 if silhouette == "bob" else 0.66
    y = np.linspace(0.40, bottom, 7)
    half = head.half_width(y)
    inner = np.column_stack([0.5 + np.maximum(TEMPLE, half - 0.034), y])
    outer = np.column_stack([0.5 + half + 0.016 + 0.4 * e, y])[y >= 0.47]
    tip = [(0.5 + half[-1] - 0.004, bottom + 0.022)]
    side = geo.spline(np.vstack([inner, tip, outer[::-1]]), closed=False, steps=3)
    side[:, 0] = np.maximum(side[:, 0], 0.5 + TEMPLE)  # the spline may swing inwards; eyes are there
    return side


def _buzz_shape(head: Head) -> geo.Points:
    """The crown of the face above a high, straight hairline."""
    outline = head.outline
    crown = np.roll(outline, -int(np.argmax(outline[:, 1] >= 0.44)), axis=0)  # start after the right temple
    crown = crown[crown[:, 1] < 0.44]
    hairline = np.array([(0.5 + x, y) for x, y in ((0.225, 0.44), (0.2, 0.3), (0.0, 0.286),
                                                    (-0.2, 0.3), (-0.225, 0.44))])
    return np.vstack([crown, geo.spline(hairline, closed=False, steps=5)])


def _hairless(forehead: float, special: str) -> list[Shape]:
    """Bald crown with a shine; the horseshoe adds tufts over the ears."""
    shine = geo.ellipse(0.5, SKULL_Y, forehead * 0.8, 0.2, n=10, start=np.radians(-140), stop=np.radians(-106))
    shapes = [pen(shine, 0.0065, "shine", Part.FACE)]
    if special == "horseshoe":
        inner = max(TEMPLE, forehead - 0.045)
        tuft = np.array([(inner, 0.335), (forehead + 0.03, 0.35), (forehead + 0.04, 0.42),
                         (forehead + 0.012, 0.475), (inner + 0.01, 0.46)]) + (0.5, 0.0)
        tuft = geo.spline(tuft, closed=True, steps=6)
        tuft[:, 0] = np.maximum(tuft[:, 0], 0.5 + TEMPLE)
        for shape in (tuft, geo.mirror(tuft)):
            shapes += fill(shape, "hair", Part.HAIR, outline="hair line", width=OUTLINE)
    return shapes

"""Shapes and the supersampled canvas that paints them.

Drawing is split in two so that rendering is fast: the part modules turn attribute
values into ``Shape`` lists (pure geometry in unit coordinates, cached, because
10,000 faces reuse a few thousand distinct parts), and the canvas paints them with a
face's palette. A shape names a colour *role* ("skin", "hair", ...) rather than a
colour, so the same cached geometry serves every colour.

Shapes are painted at ``supersample(size)`` times the output size and box-filtered
down, which gives smooth edges. When masks are wanted, opaque shapes are also painted,
with their ``Part`` number, into a label image (painter's order, so a pixel belongs to
the part visible there); translucent lens tint and whole silhouettes go into named
regions instead, because they share pixels with what lies under them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import Colour

CANVAS_PIXELS = 512  # draw at least this big, so small outputs stay smooth too


class Part(IntEnum):
    """What a pixel shows; the label image stores these numbers."""

    NONE = 0
    HAIR = 1
    FACE = 2
    EAR = 3
    NOSE = 4
    MOUTH = 5
    EYE_WHITE = 6
    IRIS = 7
    EYE_LINE = 8
    LID = 9
    LASHES = 10
    BROW = 11
    FACIAL_HAIR = 12
    FRAME = 13


class Shape(NamedTuple):
    """One thing to paint: ``kind`` is "fill", "stipple" (dotted fill), "ring" (frame + tinted lens) or "region"."""

    points: geo.Points
    role: str
    part: Part = Part.NONE
    kind: str = "fill"
    inner: geo.Points | None = None  # the lens of a ring
    region: str | None = None  # region name (kind "region", or a ring's lens)


def fill(points: geo.Points, role: str, part: Part, *, outline: str | None = None,
         width: float = 0.0) -> list[Shape]:
    """A filled polygon; an outline is a slightly larger polygon painted first."""
    shapes = [Shape(geo.dilate(points, width), outline, part)] if outline else []
    return shapes + [Shape(np.asarray(points, dtype=float), role, part)]


def pen(points: geo.Points, half_width, role: str, part: Part) -> Shape:
    """A pen stroke along an open curve (round caps; ``half_width`` may taper)."""
    return Shape(geo.stroke(np.asarray(points, dtype=float), half_width), role, part)


def supersample(size: int) -> int:
    """How many canvas pixels per output pixel: 2 at 256 px and up, more for small outputs."""
    return int(min(8, max(2, -(-CANVAS_PIXELS // size))))


class Canvas:
    """Paints shapes onto a transparent square image, and optionally a label image for masks."""

    def __init__(self, size: int, *, masks: bool = False) -> None:
        self.size = size
        self.ss = supersample(size)
        self.px = size * self.ss
        # Premultiplied RGBa: every shape is opaque (translucent pastes land only on opaque pixels), so
        # painting is unchanged, and the box filter in ``finish`` needs no conversion at full size.
        self.image = Image.new("RGBa", (self.px, self.px), (0, 0, 0, 0))
        self._draw = ImageDraw.Draw(self.image)
        self.labels = Image.new("L", (self.px, self.px), 0) if masks else None
        self._label_draw = ImageDraw.Draw(self.labels) if self.labels is not None else None
        self.regions: dict[str, Image.Image] = {}

    def paint(self, shapes: Iterable[Shape], palette: Mapping[str, Colour]) -> None:
        """Paint ``shapes`` in order, looking each role up in ``palette``."""
        for shape in shapes:
            if shape.kind == "fill":
                self._fill(shape, palette[shape.role])
            elif shape.kind == "stipple":
                self._stipple(shape, palette[shape.role])
            elif shape.kind == "ring":
                self._ring(shape, palette[shape.role])
            elif self.labels is not None:  # a region only matters for masks
                ImageDraw.Draw(self._region(shape.region)).polygon(self._xy(shape.points), fill=255)

    def _xy(self, points: geo.Points) -> list[float]:
        return (points * self.px).ravel().tolist()

    def _fill(self, shape: Shape, colour: Colour) -> None:
        xy = self._xy(shape.points)
        self._draw.polygon(xy, fill=colour)
        if self._label_draw is not None:
            self._label_draw.polygon(xy, fill=int(shape.part))

    def _ring(self, shape: Shape, colour: Colour) -> None:
        """The frame (outer minus inner) opaque, the lens (inner) with a light tint."""
        box, mask = self._mask(shape.points)
        inner = (shape.inner * self.px - box).ravel().tolist()
        ImageDraw.Draw(mask).polygon(inner, fill=int(round(RING_TINT * 255)))
        self.image.paste(colour, box, mask)
        if self.labels is not None:
            self.labels.paste(int(shape.part), box, mask.point(lambda v: 255 if v == 255 else 0))
            self._region(shape.region).paste(255, box, mask)

    def _stipple(self, shape: Shape, colour: Colour) -> None:
        """A fine dot pattern (stubble, a buzz cut): skin shows between the dots."""
        box, mask = self._mask(shape.points)
        tile = _dot_pattern(self.px).crop((box[0], box[1], box[0] + mask.width, box[1] + mask.height))
        mask = Image.fromarray(np.minimum(np.asarray(mask), np.asarray(tile)))
        self.image.paste(colour, box, mask)
        if self.labels is not None:
            self.labels.paste(int(shape.part), box, mask)

    def _region(self, name: str) -> Image.Image:
        if name not in self.regions:
            self.regions[name] = Image.new("L", (self.px, self.px), 0)
        return self.regions[name]

    def _mask(self, points: geo.Points) -> tuple[tuple[int, int], Image.Image]:
        """An "L" mask of the polygon over its bounding box, and where that box sits."""
        p = points * self.px
        x0, y0 = np.floor(p.min(axis=0)).astype(int) - 1
        x1, y1 = np.ceil(p.max(axis=0)).astype(int) + 1
        mask = Image.new("L", (int(x1 - x0), int(y1 - y0)), 0)
        ImageDraw.Draw(mask).polygon((p - (x0, y0)).ravel().tolist(), fill=255)
        return (int(x0), int(y0)), mask

    def finish(self) -> Image.Image:
        """The RGBA output image: each ``ss x ss`` block of the premultiplied canvas averaged (clean edges)."""
        return self.image.reduce(self.ss).convert("RGBA")

    def part_masks(self) -> dict[Part, np.ndarray]:
        """Output-size boolean masks: a pixel is in a part's mask if any of its sub-pixels shows that part."""
        assert self.labels is not None, "create the Canvas with masks=True"
        labels = np.asarray(self.labels).astype(np.uint16)
        bits = np.zeros((self.size, self.size), dtype=np.uint16)
        for sub in self._subpixels(labels):  # a bit per label present in the block
            bits |= np.left_shift(np.uint16(1), sub)
        return {part: (bits & (1 << int(part))) != 0 for part in Part if part != Part.NONE}

    def region_masks(self) -> dict[str, np.ndarray]:
        """Output-size boolean masks of the named regions."""
        return {name: np.maximum.reduce(list(self._subpixels(np.asarray(img)))) > 0
                for name, img in self.regions.items()}

    def _subpixels(self, a: np.ndarray):
        """The ``ss*ss`` output-size grids of sub-pixels (one per offset inside each block)."""
        return (a[dy::self.ss, dx::self.ss] for dy in range(self.ss) for dx in range(self.ss))


RING_TINT = 0.10  # lens opacity: enough to show the colour, little enough to see the eye through


@lru_cache(maxsize=4)
def _dot_pattern(px: int) -> Image.Image:
    """A canvas-sized "L" image of round dots on a staggered grid (about 40 % coverage)."""
    step = max(3.0, 0.011 * px)
    y, x = np.mgrid[0:px, 0:px].astype(float)
    x = x + (np.floor(y / step) % 2) * step / 2  # stagger alternate rows, like follicles rather than a grid
    dx, dy = (x % step) - step / 2, (y % step) - step / 2
    return Image.fromarray(np.where(dx * dx + dy * dy <= (0.36 * step) ** 2, 255, 0).astype(np.uint8))

"""Compose one face from its 18 attributes, back to front, and optionally say where each attribute is.

Layers: ears, hair (back), face, hair (front), eyes, eyebrows, stubble, mouth and nose,
facial hair, glasses. The image depends on nothing but the attributes.

Masks (``render_face(..., masks=True)``) say, per attribute, which output pixels show it: a
pixel counts if any of its supersampled sub-pixels does. ``MASK_PARTS`` lists what each
attribute's mask is made of (e.g. eye_color -> iris, glasses_color -> frames and lenses,
face_shape -> the face silhouette). ``REGION_PARTS`` is the tighter table behind the mask
files of ``toonlab synth --masks`` (see ``toonlab.data.masks``): only what is drawn, so an
attribute whose variant draws nothing has an empty region there.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from PIL import Image

from toonlab.data.synth import geometry as geo
from toonlab.data.synth.attributes import ATTRIBUTES, FACE_COLORS, GLASSES_COLORS, HAIR_COLORS, check_attributes, legible
from toonlab.data.synth.canvas import Canvas, Part, Shape
from toonlab.data.synth.eyebrows import brow_shapes
from toonlab.data.synth.eyes import eye_palette, eye_shapes
from toonlab.data.synth.face import MOUTH, ear_shapes, face_palette, face_shapes, make_head
from toonlab.data.synth.facial_hair import facial_hair_shapes, stubble_shapes
from toonlab.data.synth.glasses import glasses_shapes
from toonlab.data.synth.hair import FRINGE_FLOOR, hair_back_shapes, hair_front_shapes, hair_palette

MIN_SIZE = 16

_EYES = (Part.EYE_WHITE, Part.IRIS, Part.EYE_LINE, Part.LID, Part.LASHES)
# Attribute -> the parts (label image) and named regions its mask is the union of. Where a
# variant can draw nothing (bald, no beard, no glasses), the mask also covers where it would be,
# so a visible attribute never has an empty mask.
MASK_PARTS: dict[str, tuple[Part | str, ...]] = {
    "eye_angle": _EYES, "eye_lashes": _EYES, "eye_lid": _EYES, "eye_slant": _EYES,
    "eye_color": (Part.IRIS,),
    "eyebrow_weight": (Part.BROW,), "eyebrow_shape": (Part.BROW,), "eyebrow_thickness": (Part.BROW,),
    "eyebrow_width": (Part.BROW,),
    "eye_eyebrow_distance": (Part.BROW, *_EYES),
    "chin_length": ("face",), "face_shape": ("face",),  # the whole face silhouette, outline included
    "face_color": (Part.FACE, Part.EAR, Part.NOSE, Part.LID),  # visible skin
    "hair": (Part.HAIR, "crown"),
    "hair_color": (Part.HAIR, Part.BROW, Part.FACIAL_HAIR),  # everything drawn in the hair colour
    "facial_hair": (Part.FACIAL_HAIR, "lower face"),
    "glasses": (Part.FRAME, "lens", *_EYES),
    "glasses_color": (Part.FRAME, "lens"),  # frames and their tinted lenses
}

# Stippled areas (stubble, a buzz cut) count whole: the skin seen between the dots is part of the look.
_STUBBLE = ("facial_hair stipple", Part.FACE)
# The mask files' regions, for scoring explanations (documented in toonlab.data.masks): what is
# actually drawn, so bald / no beard / no glasses give an empty region, and chin_length is the jaw
# and chin only. An item is a Part, a named region, or a (region, Part) pair meaning their overlap.
REGION_PARTS: dict[str, tuple[Part | str | tuple[str, Part], ...]] = {
    **MASK_PARTS,
    "chin_length": ("lower face",),
    "hair": (Part.HAIR, ("hair stipple", Part.FACE)),
    "hair_color": (Part.HAIR, ("hair stipple", Part.FACE), Part.BROW, Part.FACIAL_HAIR, _STUBBLE),
    "facial_hair": (Part.FACIAL_HAIR, _STUBBLE),
    "glasses": (Part.FRAME, "lens"),
}


def render_face(attrs: Mapping[str, int], size: int = 256, *, masks: bool = False,
                parts: Mapping[str, tuple] | None = None):
    """Draw one cartoon face.

    Args:
        attrs: all 18 attributes (name -> 0-based variant index), e.g. from ``sample_attributes``.
        size: width and height of the square image in pixels.
        masks: also return, per attribute, a boolean ``(size, size)`` array of where it is drawn.
        parts: what each attribute's mask is made of: ``MASK_PARTS`` (the default) or ``REGION_PARTS``.

    Returns:
        An RGBA image with a transparent background, or ``(image, masks)`` when ``masks`` is True.

    Example:
        >>> from toonlab.data.synth import ATTRIBUTES
        >>> image, where = render_face({name: 1 for name in ATTRIBUTES}, 64, masks=True)
        >>> image.mode, image.size, where["eye_color"].shape
        ('RGBA', (64, 64), (64, 64))
    """
    check_attributes(attrs)
    if not isinstance(size, int) or size < MIN_SIZE:
        raise ValueError(f"size must be an integer of at least {MIN_SIZE} pixels. Received: size={size!r}")
    canvas = Canvas(size, masks=masks)
    _compose(canvas, attrs)
    image = canvas.finish()
    return (image, _attribute_masks(canvas, MASK_PARTS if parts is None else parts)) if masks else image


def _compose(canvas: Canvas, attrs: Mapping[str, int]) -> None:
    a = attrs
    shape, chin, hair = a["face_shape"], a["chin_length"], a["hair"]
    layers = (
        ear_shapes(shape, chin),
        hair_back_shapes(hair, shape),
        face_shapes(shape, chin),
        hair_front_shapes(hair, shape),
        eye_shapes(a["eye_angle"], a["eye_slant"], a["eye_lid"], a["eye_lashes"]),
        brow_shapes(a["eyebrow_shape"], a["eyebrow_weight"], a["eyebrow_thickness"], a["eyebrow_width"],
                    a["eye_eyebrow_distance"]),
        stubble_shapes(a["facial_hair"], shape, chin),
        MOUTH,
        facial_hair_shapes(a["facial_hair"], shape, chin),
        glasses_shapes(a["glasses"], shape, chin),
        _zones(shape, chin),
    )
    skin = FACE_COLORS[a["face_color"]]
    palette = {**face_palette(skin), **hair_palette(HAIR_COLORS[a["hair_color"]]),
               **eye_palette(a["eye_color"]), "frame": GLASSES_COLORS[a["glasses_color"]]}
    palette["brow"] = legible(palette["brow"], skin)
    palette["lash"] = legible(palette["ink"], skin)
    for layer in layers:
        canvas.paint(layer, palette)
    if canvas.labels is not None:
        canvas.paint(_stipple_zones(layers), palette)


def _stipple_zones(layers) -> tuple[Shape, ...]:
    """Each stippled shape's whole outline as a region ("hair stipple", "facial_hair stipple")."""
    return tuple(s._replace(kind="region", region=f"{s.part.name.lower()} stipple")
                 for layer in layers for s in layer if s.kind == "stipple")


@lru_cache(maxsize=None)
def _zones(face_shape: int, chin_length: int) -> tuple[Shape, ...]:
    """Regions (masks only) for attributes whose variant may draw nothing: hair, beard."""
    outline = make_head(face_shape, chin_length).outline
    return (Shape(geo.clip(outline, 0.0, 1.0, FRINGE_FLOOR), "", kind="region", region="crown"),
            Shape(geo.clip(outline, 0.0, -1.0, -0.6), "", kind="region", region="lower face"))


def _attribute_masks(canvas: Canvas, table: Mapping[str, tuple]) -> dict[str, np.ndarray]:
    parts, regions = canvas.part_masks(), canvas.region_masks()
    empty = np.zeros((canvas.size, canvas.size), dtype=bool)

    def where(item) -> np.ndarray:
        if isinstance(item, tuple):  # (region, part): the part's pixels inside the region
            return regions.get(item[0], empty) & parts[item[1]]
        return parts[item] if isinstance(item, Part) else regions.get(item, empty)

    out = {}
    for name in ATTRIBUTES:
        mask = empty.copy()
        for item in table[name]:
            mask |= where(item)
        out[name] = mask
    return out


def render_sheet(faces: list[Mapping[str, int]], size: int = 128, columns: int = 6,
                 background: tuple[int, int, int] = (236, 240, 244)) -> Image.Image:
    """A contact sheet of faces on a plain background (for looking at the generator's output)."""
    rows = -(-len(faces) // columns)
    sheet = Image.new("RGBA", (columns * size, rows * size), background + (255,))
    for i, attrs in enumerate(faces):
        sheet.alpha_composite(render_face(attrs, size), (i % columns * size, i // columns * size))
    return sheet.convert("RGB")

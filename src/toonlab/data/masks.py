"""Per-image attribute region masks (``toonlab synth --masks``): where each attribute is drawn.

They are for scoring explanations: the fraction of an attribution map's mass that falls
inside the region of the attribute being explained.

File format (version 1):

- ``csX.mask.png`` beside ``csX.png``: an 8-bit RGB PNG of the image's size. A pixel's value
  is ``v = R + 256*G + 65536*B``; bit ``k`` of ``v`` is set when the pixel belongs to the region
  of attribute ``k``. Up to 24 attributes fit.
- ``masks.json`` in the data folder: ``{"format": 1, "bits": [name, ...], "size": S}``, the
  attribute of each bit (CartoonSet's order for ``toonlab synth``) and the image size.

Regions drawn by ``toonlab synth`` (``REGION_PARTS`` in ``toonlab.data.synth.render``; a pixel
counts when any of its supersampled sub-pixels shows the part, hidden parts excluded):

=====================================================  ===================================================
attribute                                              region
=====================================================  ===================================================
eye_angle, eye_lashes, eye_lid, eye_slant              the eyes: whites, irises, lines, lids and lashes
eye_color                                              the irises
eyebrow_weight, eyebrow_shape, eyebrow_thickness,      the eyebrows
eyebrow_width
eye_eyebrow_distance                                   the eyebrows and the eyes
face_shape                                             the whole face silhouette, outline included
chin_length                                            the face below y = 0.6 of the image: jaw and chin
face_color                                             the visible skin: face, ears, nose, eyelids
hair                                                   hair pixels (a buzz cut's whole stippled crown);
                                                       empty when bald
hair_color                                             everything in the hair colour: hair, eyebrows,
                                                       facial hair
facial_hair                                            beard / moustache pixels (stubble's whole stippled
                                                       area); empty for no facial hair
glasses, glasses_color                                 frames and lenses; empty with no glasses
=====================================================  ===================================================

Example:
    >>> import numpy as np, tempfile, os
    >>> image = os.path.join(tempfile.mkdtemp(), "cs1.png")
    >>> eye = np.zeros((4, 4), bool); eye[1, 1] = True
    >>> _ = write_mask(image, {"eye": eye}, ["eye", "hair"])
    >>> int(read_mask(image, ["eye", "hair"])["eye"].sum()), mask_path(image).name
    (1, 'cs1.mask.png')
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from toonlab.errors import DataError

MASK_SUFFIX = ".mask.png"
MASKS_FILE = "masks.json"
FORMAT = 1
MAX_BITS = 24  # three 8-bit channels
Z_RLE = 3  # zlib strategy: masks are long runs, so run-length coding is faster and smaller than the default
MAKE_MASKS = "make a set with masks with `toonlab synth OUT --masks` (synthesize(..., masks=True))"


def mask_path(image_path: str | Path) -> Path:
    """The mask file beside an image: ``0/csX.png`` -> ``0/csX.mask.png``."""
    path = Path(image_path)
    return path if path.name.endswith(MASK_SUFFIX) else path.with_name(path.stem + MASK_SUFFIX)


def write_mask(path: str | Path, masks: Mapping[str, np.ndarray], names: Sequence[str]) -> Path:
    """Write one image's regions as a mask PNG.

    Args:
        path: the image (the mask goes beside it) or the ``.mask.png`` path itself.
        masks: attribute name -> boolean ``(H, W)`` array; names left out get no bits.
        names: the attribute of each bit, in order (at most 24).

    Returns:
        The path of the mask file written.
    """
    names = _check_names(names)
    unknown = [name for name in masks if name not in names]
    if unknown:
        raise DataError(f"masks names attributes that have no bit: {unknown}. Valid names: {', '.join(names)}.")
    shapes = {np.shape(m) for m in masks.values()}
    if len(shapes) > 1 or any(len(s) != 2 for s in shapes):
        raise DataError(f"every mask must be a 2-D array of one shape. Received shapes: {sorted(shapes)}")
    shape = shapes.pop() if shapes else (1, 1)
    planes = np.zeros((3, *shape), dtype=np.uint8)  # R, G, B: bits 0-7, 8-15, 16-23, so v = R + 256 G + 65536 B
    for bit, name in enumerate(names):
        if name in masks:
            planes[bit >> 3] |= np.asarray(masks[name], dtype=bool).view(np.uint8) << np.uint8(bit & 7)
    rgb = planes.transpose(1, 2, 0)
    out = mask_path(path)
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(out, "PNG", compress_level=1, compress_type=Z_RLE)
    return out


def read_mask(image_path: str | Path, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The regions of one image, read from the mask PNG beside it.

    Args:
        image_path: the image (``0/csX.png``); its mask is ``0/csX.mask.png``.
        names: the attribute of each bit; by default from the ``masks.json`` of the nearest folder
            above the image that has one (pass ``mask_names(root)`` to read many images quickly).

    Returns:
        Attribute name -> boolean ``(H, W)`` array, every name present (empty where not drawn).

    Raises:
        DataError: no mask file, no ``masks.json``, or the file has bits that ``names`` do not name.
    """
    path = mask_path(image_path)
    names = _check_names(names if names is not None else mask_names(_find_root(path)))
    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(f"No mask file {str(path)!r} beside the image: {MAKE_MASKS}.") from None
    except OSError as e:
        raise DataError(f"Mask file {str(path)!r} cannot be read: {e}") from None
    bits = np.unpackbits(rgb, axis=-1, bitorder="little").astype(bool)  # (H, W, 24): bit k of R + 256 G + 65536 B
    if bits[..., len(names):].any():
        raise DataError(f"Mask file {str(path)!r} has bits above the {len(names)} attributes named "
                        f"({', '.join(names)}): the names do not belong to this mask.")
    return {name: np.ascontiguousarray(bits[..., bit]) for bit, name in enumerate(names)}


def mask_names(root: str | Path) -> list[str]:
    """The attribute of each mask bit, from ``root/masks.json``; DataError saying how to make one if absent."""
    path = Path(root).expanduser() / MASKS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{str(Path(root))!r} has no region masks ({MASKS_FILE} is missing): {MAKE_MASKS}.") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{str(path)!r} cannot be read as JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{str(path)!r} must have \"format\": {FORMAT}. Received: {json.dumps(data)[:200]}")
    bits = data.get("bits")
    if not isinstance(bits, list) or not all(isinstance(b, str) for b in bits):
        raise DataError(f"{str(path)!r} must list the attribute names under \"bits\". Received: bits={bits!r}")
    return _check_names(bits)


def write_mask_names(root: str | Path, names: Sequence[str], size: int) -> Path:
    """Write ``root/masks.json`` (atomically) naming the attribute of each bit."""
    path = Path(root) / MASKS_FILE
    tmp = path.with_suffix(".tmp")
    data = {"format": FORMAT, "bits": _check_names(names), "size": int(size)}
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def resize_mask(mask: np.ndarray, size: int | tuple[int, int], *, threshold: float = 0.5) -> np.ndarray:
    """A boolean mask resized as the image cache resizes images (stretched to ``size x size``).

    A target pixel is in the mask when more than ``threshold`` of the area it covers is (so
    downsizing keeps regions that fill most of a pixel; upsizing by whole factors is nearest).

    Args:
        mask: boolean ``(H, W)`` array.
        size: the side of the square target, or ``(height, width)``.
        threshold: the covered fraction a pixel needs, in [0, 1).
    """
    height, width = (size, size) if isinstance(size, (int, np.integer)) else size
    if min(height, width) < 1 or not 0 <= threshold < 1:
        raise ValueError(f"size must be positive and threshold in [0, 1). Received: size={size!r}, "
                         f"threshold={threshold!r}")
    mask = np.asarray(mask, dtype=bool)
    if mask.shape == (height, width):
        return mask.copy()
    image = Image.fromarray(mask.astype(np.float32), "F")
    covered = np.asarray(image.resize((int(width), int(height)), Image.Resampling.BOX))
    return covered > threshold + 1e-5  # float32 sums: exactly half may come out a hair above


def _check_names(names: Sequence[str]) -> list[str]:
    names = list(names)
    if not names or len(names) > MAX_BITS or len(set(names)) != len(names):
        raise DataError(f"A mask needs 1 to {MAX_BITS} distinct attribute names. Received: {names!r}")
    return names


def _find_root(path: Path) -> Path:
    """The nearest folder above ``path`` holding ``masks.json`` (the image's own folder if none does)."""
    for folder in path.parents:
        if (folder / MASKS_FILE).is_file():
            return folder
    return path.parent

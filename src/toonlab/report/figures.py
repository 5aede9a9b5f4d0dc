"""The report's pictures as bytes in memory: image thumbnails, downscaled explanation panels, and PNG
files already in the run folder. (Charts are inline SVG: see :mod:`toonlab.report.charts`.)

PIL is imported inside the functions (``import toonlab`` stays fast). A picture that cannot be made
(an unreadable image, a missing file) gives None, never an exception: the report shows a placeholder
instead or leaves it out.

Example:
    >>> thumbnail(Path("no/such.png")) is None
    True
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THUMB_SIDE = 72  # pixels; shown 1:1
PANEL_WIDTH = 560  # pixels of an embedded panel: half the page, shown 1:1 (the full size stays a file)
PANEL_KEEP_BYTES = 60_000  # a PNG panel at most PANEL_WIDTH wide and this small is embedded as it is
JPEG_QUALITY = 85  # a 1,328 px, 185 kB explanation panel becomes a 560 px JPEG of about 13 kB


def thumbnail(path: Path, side: int = THUMB_SIDE) -> tuple[bytes, str] | None:
    """``(bytes, mime)`` of the image at ``path`` fitted into ``side`` x ``side`` pixels; None if it
    cannot be read. A tiny image grows by whole pixels and stays a sharp PNG; a shrunk one is the
    smaller of a PNG and a JPEG on white (a 256 px cartoon face: about 4.7 kB against 1.9 kB).

    Example:
        >>> thumbnail(Path("no/such.png")) is None
        True
    """
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.thumbnail((side, side))  # shrinks only; a tiny image grows by whole pixels so it stays sharp
            grow = max(1, side // max(im.size))
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
            if grow > 1:
                return _png_image(im.resize((im.width * grow, im.height * grow), Image.NEAREST)), "image/png"
            png, jpeg = _png_image(im), _jpeg_image(_on_white(im))
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        log.info("Report: no thumbnail of %s (%s).", path, e)
        return None
    return (png, "image/png") if len(png) <= len(jpeg) else (jpeg, "image/jpeg")


def panel_thumbnail(path: Path, width: int = PANEL_WIDTH) -> tuple[bytes, str] | None:
    """``(bytes, mime)`` of a picture to embed for the image at ``path``: the PNG itself when it is at
    most ``width`` wide and small, else a JPEG scaled down to ``width`` (transparency on white); None if
    it cannot be read.

    Example:
        >>> panel_thumbnail(Path("no/such.png")) is None
        True
    """
    from PIL import Image

    original = png_file(path)
    try:
        with Image.open(path) as im:
            if original and im.width <= width and len(original) <= PANEL_KEEP_BYTES:
                return original, "image/png"
            im = _on_white(im)
            if im.width > width:
                im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
            small = _jpeg_image(im)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        log.info("Report: no thumbnail of %s (%s).", path, e)
        return None
    return (original, "image/png") if original and len(original) <= len(small) else (small, "image/jpeg")


def png_file(path: Path) -> bytes | None:
    """The bytes of a PNG file of the run folder, or None when it is missing or not a PNG."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if data.startswith(PNG_SIGNATURE) else None


def _png_image(im) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_image(im) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _on_white(im):
    """An RGB copy of ``im``, transparent parts laid on white (JPEG has no alpha)."""
    from PIL import Image

    rgba = im.convert("RGBA")
    out = Image.new("RGB", rgba.size, (255, 255, 255))
    out.paste(rgba, mask=rgba.getchannel("A"))
    return out

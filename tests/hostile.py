"""Hostile files for the loader fuzz tests (tests/data/test_fuzz_loaders.py): broken and odd images, odd names,
odd CSV bytes. Every maker is small and fast: images are a few pixels, and the large ones only claim to be large.

``IMAGES`` maps a kind to ``(maker, usable)``: ``maker(path, seed)`` writes the file; ``usable`` says whether
toonlab must decode it (True) or skip it with a reason (False). ``NAMES`` are file stems a user might have.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

BOMB_SIDE = 20_000  # a 20,000 x 20,000 PNG header: 400 Mpx, over Pillow's decompression-bomb limit


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, depth: int, color: int, rows: bytes, *extra: tuple[bytes, bytes]) -> bytes:
    """A PNG written by hand, so bit depths, colour types and chunks Pillow would not write can be tried."""
    head = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
    body = b"".join(png_chunk(k, d) for k, d in extra)
    return b"\x89PNG\r\n\x1a\n" + head + body + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def _rows(width: int, height: int, bytes_per_pixel: float, seed: int) -> bytes:
    line = int(np.ceil(width * bytes_per_pixel))
    rng = np.random.default_rng(seed)
    return b"".join(b"\x00" + rng.integers(0, 256, line, dtype=np.uint8).tobytes() for _ in range(height))


def _save(img: Image.Image, path: Path, fmt: str | None = None, **kw) -> None:
    img.save(path, format=fmt or "PNG", **kw)


def _noise(mode: str, size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).convert(mode)


def good(path: Path, seed: int) -> None:
    _save(_noise("RGB", (6, 6), seed), path)


def truncated(path: Path, seed: int) -> None:
    buf = _encoded(_noise("RGB", (24, 24), seed))
    path.write_bytes(buf[: len(buf) // 2])


def zero_bytes(path: Path, seed: int) -> None:
    path.write_bytes(b"")


def text_file(path: Path, seed: int) -> None:
    path.write_text(f"not an image {seed}\n", encoding="utf-8")


def bomb(path: Path, seed: int) -> None:
    path.write_bytes(raw_png(BOMB_SIDE, BOMB_SIDE, 8, 0, b"\x00" * (BOMB_SIDE + 1)))


def bad_crc(path: Path, seed: int) -> None:
    buf = bytearray(_encoded(_noise("RGB", (6, 6), seed)))
    buf[29] ^= 0xFF  # inside IHDR's CRC
    path.write_bytes(bytes(buf))


def one_pixel(path: Path, seed: int) -> None:
    _save(_noise("RGB", (1, 1), seed), path)


def wide(path: Path, seed: int) -> None:
    _save(_noise("RGB", (BOMB_SIDE, 1), seed), path)


def tall(path: Path, seed: int) -> None:
    _save(_noise("L", (1, BOMB_SIDE), seed), path)


def gray16(path: Path, seed: int) -> None:
    path.write_bytes(raw_png(5, 4, 16, 0, _rows(5, 4, 2, seed), (b"tRNS", b"\x00\x07")))


def rgba16(path: Path, seed: int) -> None:
    path.write_bytes(raw_png(4, 3, 16, 6, _rows(4, 3, 8, seed)))


def la8(path: Path, seed: int) -> None:
    path.write_bytes(raw_png(4, 4, 8, 4, _rows(4, 4, 2, seed)))


def palette_short_alpha(path: Path, seed: int) -> None:
    plte = bytes(range(12))  # 4 entries, alpha for only the first 2
    path.write_bytes(raw_png(4, 4, 8, 3, _palette_rows(4, 4, 4, seed), (b"PLTE", plte), (b"tRNS", b"\x00\x80")))


def palette_long_alpha(path: Path, seed: int) -> None:
    plte = bytes(range(6))  # 2 entries but 5 alpha values: invalid, but found in the wild
    path.write_bytes(raw_png(4, 4, 8, 3, _palette_rows(4, 4, 2, seed), (b"PLTE", plte), (b"tRNS", b"\x10" * 5)))


def palette_1bit(path: Path, seed: int) -> None:
    path.write_bytes(raw_png(9, 3, 1, 3, _rows(9, 3, 1 / 8, seed), (b"PLTE", b"\x00\x00\x00\xff\xff\xff"),
                             (b"tRNS", b"\x00")))


def palette_out_of_range(path: Path, seed: int) -> None:
    plte = bytes(range(6))  # 2 entries; the pixels index up to 255 (Pillow draws those black)
    path.write_bytes(raw_png(4, 4, 8, 3, _rows(4, 4, 1, seed), (b"PLTE", plte)))


def cmyk_jpeg(path: Path, seed: int) -> None:
    _save(_noise("CMYK", (6, 6), seed), path, "JPEG")


def jpeg_as_png(path: Path, seed: int) -> None:
    _save(_noise("RGB", (6, 6), seed), path, "JPEG")


def gif_transparent(path: Path, seed: int) -> None:
    _save(_noise("RGB", (6, 6), seed).convert("P"), path, "GIF", transparency=0)


def float_tiff(path: Path, seed: int) -> None:
    arr = np.random.default_rng(seed).normal(size=(4, 4)).astype(np.float32) * 1e6
    _save(Image.fromarray(arr, mode="F"), path, "TIFF")


def _palette_rows(width: int, height: int, entries: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return b"".join(b"\x00" + rng.integers(0, entries, width, dtype=np.uint8).tobytes() for _ in range(height))


def _encoded(img: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# kind -> (maker, must decode). Whatever the suffix, toonlab must decode the first kind and skip the others.
IMAGES = {
    "good": (good, True), "one_pixel": (one_pixel, True), "wide": (wide, True), "tall": (tall, True),
    "gray16": (gray16, True), "rgba16": (rgba16, True), "la8": (la8, True),
    "palette_short_alpha": (palette_short_alpha, True), "palette_long_alpha": (palette_long_alpha, True),
    "palette_1bit": (palette_1bit, True), "cmyk_jpeg": (cmyk_jpeg, True), "jpeg_as_png": (jpeg_as_png, True),
    "gif_transparent": (gif_transparent, True), "float_tiff": (float_tiff, True),
    "palette_out_of_range": (palette_out_of_range, True), "truncated": (truncated, False),
    "zero_bytes": (zero_bytes, False), "text_file": (text_file, False), "bomb": (bomb, False),
    "bad_crc": (bad_crc, False),
}

# File stems people have: spaces, quotes, commas, a newline, non-ASCII, a leading dash, a backslash.
NAMES = ["plain", "with space", "it's", 'say "hi"', "a,b", "line\nbreak", "café", "日本語", "-dash", "back\\slash",
         "semi;colon", "tab\there", "#hash", "ünï cödé 😀"]


def unreadable(path: Path) -> bool:
    """chmod 000 on ``path``; False when that does not stop this process reading it (root), so a test can skip."""
    os.chmod(path, 0)
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True


def symlink_loop(folder: Path, name: str) -> Path:
    """``name`` -> ``name.loop`` -> ``name``: a file-looking symlink that cannot be opened."""
    a, b = folder / name, folder / (name + ".loop")
    os.symlink(b.name, a)
    os.symlink(a.name, b)
    return a

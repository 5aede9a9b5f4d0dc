"""Decode every image once into a memory-mapped ``(N, size, size, 3)`` uint8 cache keyed by content.

Each image is opened with PIL, composited onto a background colour if it has any
transparency, converted to RGB and resized straight to ``size x size`` with
Lanczos, reducing_gap=2 (non-square images are stretched, not cropped, so nothing drawn is lost).
The cache lives in ``cache_dir/<key>.u8`` (raw rows) beside ``<key>.json``; the key
hashes the cache version, size, background and every file's bytes, so any change
to any of them builds a new cache and an unchanged set is reused without decoding.

Example:
    >>> cache = build_cache(paths, size=64, workers=1)  # doctest: +SKIP
    >>> cache.images.shape, cache.ok.all()  # doctest: +SKIP
    ((500, 64, 64, 3), True)
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import multiprocessing
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageColor

from toonlab.data.samples import Skipped, printable
from toonlab.errors import DataError

CACHE_VERSION = 2  # 2: reduced-size JPEG decodes resize only the covered area
RESAMPLE = Image.Resampling.LANCZOS


@dataclass
class ImageCache:
    """Decoded images: ``images[i]`` is ``paths[i]``; rows where ``ok`` is False are zeros."""

    images: np.memmap
    ok: np.ndarray
    failures: list[Skipped]
    key: str
    path: Path
    reused: bool


def build_cache(
    paths: Sequence[Path],
    *,
    size: int,
    background: str = "white",
    cache_dir: str | Path | None = None,
    workers: int = 0,
    progress: Callable[[int, int], None] | None = None,
    grayscale: bool = False,
) -> ImageCache:
    """Decode ``paths`` into a uint8 memmap, or reuse the cache built earlier from the same bytes.

    Args:
        paths: image files; row ``i`` of the cache is ``paths[i]``.
        size: side of the square output in pixels.
        background: colour for transparent pixels (a PIL colour name or ``#rrggbb``).
        cache_dir: where cache files live; None or '' = ``$TOONLAB_CACHE`` or ``~/.cache/toonlab``.
        workers: decoding processes; 0 = one per CPU core, 1 = in this process.
        progress: called as ``progress(done, total)`` while decoding.
        grayscale: store grey images (three equal channels), as seed 003 trains comics vs photos.

    Returns:
        An ``ImageCache``; files that cannot be decoded are listed in ``failures`` with ``ok`` False.

    Raises:
        DataError: bad size, background or worker count, or no paths.
    """
    rgb = parse_background(background)
    _check_args(paths, size, workers)
    folder = default_cache_dir() if not cache_dir else Path(cache_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    key = cache_key(paths, size=size, rgb=rgb, grayscale=grayscale)
    data, meta = folder / f"{key}.u8", folder / f"{key}.json"
    expected = {"version": CACHE_VERSION, "key": key, "n": len(paths), "size": size, "background": list(rgb),
                "grayscale": grayscale}
    cached = _read_meta(meta, data, expected)
    if cached is None:
        cached = _build(paths, data, meta, expected, workers, progress)
        reused = False
    else:
        reused = True
    images = np.memmap(data, dtype=np.uint8, mode="r", shape=(len(paths), size, size, 3))
    ok = np.ones(len(paths), dtype=bool)
    failures = []
    for i, reason in cached:
        ok[i] = False
        failures.append(Skipped(str(paths[i]), reason))
    return ImageCache(images, ok, failures, key, data, reused)


def default_cache_dir() -> Path:
    """``$TOONLAB_CACHE`` if set, else ``~/.cache/toonlab``."""
    return Path(os.environ.get("TOONLAB_CACHE") or "~/.cache/toonlab").expanduser()


def parse_background(background: str) -> tuple[int, int, int]:
    """A PIL colour name or ``#rrggbb`` as an ``(r, g, b)`` tuple; DataError if PIL does not know it."""
    try:
        return ImageColor.getrgb(background)[:3]
    except (ValueError, AttributeError, TypeError):
        raise DataError(
            f"background must be a colour name such as 'white' or a hex colour such as '#808080'. "
            f"Received: background={background!r}"
        ) from None


def cache_key(paths: Sequence[Path], *, size: int, rgb: tuple[int, int, int], grayscale: bool = False) -> str:
    """sha256 over the cache version, size, background, colour mode and each file's blake2b digest, in order."""
    mode = " grey" if grayscale else ""  # empty for RGB, so existing RGB caches keep their keys
    key = hashlib.sha256(f"toonlab-cache v{CACHE_VERSION} size={size} bg={rgb} n={len(paths)}{mode}".encode())
    for path in paths:
        try:
            digest = hashlib.blake2b(Path(path).read_bytes(), digest_size=16).digest()
        except OSError as e:  # still a key; the decode step reports the failure for this row
            digest = f"unreadable {type(e).__name__}".encode()
        key.update(digest)
    return key.hexdigest()


def decode_image(path: str | Path, size: int, rgb: tuple[int, int, int], grayscale: bool = False) -> np.ndarray:
    """One image as a ``(size, size, 3)`` uint8 array: alpha composited onto ``rgb``, stretched to square;
    with ``grayscale`` converted to grey (ITU-R 601 luma) and stored in all three channels."""
    with Image.open(path) as im:
        full = im.size
        im.draft("RGB", (size, size))  # JPEG only: decode at a reduced scale 1/2^k that is still >= size
        return square_image(im, size, rgb, grayscale, box=_draft_box(full, im.size))


def square_image(im: Image.Image, size: int, rgb: tuple[int, int, int], grayscale: bool = False,
                 box: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """A PIL image (file or in memory) as :func:`decode_image` makes it: ``(size, size, 3)`` uint8.

    ``box``: the part of ``im`` that holds the picture (a draft-decoded JPEG); None = all of it.
    """
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, rgb)
        flat.paste(rgba, mask=rgba)  # composite at full size, before resizing, so edges blend exactly
    else:
        flat = im.convert("RGB")
    if grayscale:
        flat = flat.convert("L").convert("RGB")
    # Lanczos after a box reduction to within 2x of the target: Pillow's thumbnail() default, half the cost.
    return np.array(flat.resize((size, size), RESAMPLE, box=box, reducing_gap=2.0), dtype=np.uint8)  # writable


def _draft_box(full: tuple[int, int], reduced: tuple[int, int]) -> tuple[float, float, float, float]:
    """The part of a draft-decoded image that holds the picture: a 205 px JPEG at scale 1/2 decodes to
    103 px whose last column is only half covered, so resizing all 103 would shift the picture."""
    for scale in (1, 2, 4, 8):
        if all(-(-f // scale) == r for f, r in zip(full, reduced)):
            return (0.0, 0.0, full[0] / scale, full[1] / scale)
    return (0.0, 0.0, float(reduced[0]), float(reduced[1]))


def failure_reason(path: str | Path, error: BaseException) -> str:
    """A sentence for the user about why ``path`` could not be decoded."""
    if isinstance(error, Image.DecompressionBombError):
        return f"too large to decode safely ({error})"
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return "a symbolic link that loops back on itself (it leads to no file)"
    if isinstance(error, FileNotFoundError):
        return f"a symbolic link to {printable(os.readlink(path))!r}, which does not exist" if os.path.islink(path) \
            else "file no longer exists"
    if isinstance(error, PermissionError):
        return "cannot be read (permission denied)"
    if isinstance(error, Image.UnidentifiedImageError):
        return "empty file (0 bytes)" if _size(path) == 0 else "not an image PIL can read"
    return f"corrupt or truncated image ({type(error).__name__}: {error})"


def decode_rows(data: str, shape: tuple[int, ...], rows: range, paths: Sequence[str], rgb: tuple[int, int, int],
                grayscale: bool = False) -> list:
    """Decode ``paths`` into ``rows`` of the memmap file ``data``; return ``[(row, reason)]`` failures.

    Runs in worker processes: each opens the file itself, so no image arrays are pickled back.
    """
    out = np.memmap(data, dtype=np.uint8, mode="r+", shape=shape)
    failures = []
    for row, path in zip(rows, paths):
        try:
            out[row] = decode_image(path, shape[1], rgb, grayscale)
        except Exception as e:  # noqa: BLE001 - corrupt files raise many types; each becomes a reported skip
            failures.append((row, failure_reason(path, e)))
    out.flush()
    del out
    return failures


def _build(paths, data: Path, meta: Path, expected: dict, workers: int, progress) -> list[tuple[int, str]]:
    """Decode into temporary files and rename them into place only when complete."""
    _remove_orphans(data, meta)
    tag = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp_data, tmp_meta = data.with_name(data.name + tag), meta.with_name(meta.name + tag)
    shape = (len(paths), expected["size"], expected["size"], 3)
    try:
        np.memmap(tmp_data, dtype=np.uint8, mode="w+", shape=shape).flush()
        failures = _decode_all([str(p) for p in paths], str(tmp_data), shape, expected, workers, progress)
        failures.sort()
        tmp_meta.write_text(json.dumps({**expected, "failures": failures}), encoding="utf-8")
        os.replace(tmp_data, data)
        os.replace(tmp_meta, meta)  # the json is written last: it is what marks a cache as complete
    finally:
        tmp_data.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)
    return failures


def _remove_orphans(*targets: Path) -> None:
    """Delete the temporary files of earlier builds of the same cache whose process is gone (killed before
    its ``finally`` ran): each is as large as the cache. A build still running elsewhere keeps its own."""
    for target in targets:
        for tmp in target.parent.glob(f"{glob.escape(target.name)}.tmp-*"):
            pid = tmp.name.rpartition(".tmp-")[2].split("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _decode_all(paths: list[str], data: str, shape, expected: dict, workers: int, progress) -> list:
    """Decode in chunks, in this process (workers=1) or in a pool; report progress per chunk."""
    rgb = tuple(expected["background"])
    workers = workers or os.cpu_count() or 1
    step = max(1, min(256, -(-len(paths) // (workers * 4))))
    starts = range(0, len(paths), step)
    grey = bool(expected.get("grayscale", False))
    jobs = [(data, shape, range(lo, min(lo + step, len(paths))), paths[lo : lo + step], rgb, grey) for lo in starts]
    if workers == 1 or len(jobs) == 1:
        return _collect(map(_decode_job, jobs), len(paths), progress)
    with _pool_context().Pool(min(workers, len(jobs))) as pool:
        return _collect(pool.imap_unordered(_decode_job, jobs), len(paths), progress)


def _pool_context():
    """fork where the OS has it: workers start fast and a user's script needs no ``__main__`` guard
    (spawn re-runs an unguarded script in every worker). Workers only use PIL and numpy, not torch."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _decode_job(job: tuple) -> tuple[int, list]:
    return len(job[2]), decode_rows(*job)


def _collect(results, total: int, progress) -> list:
    done, failures = 0, []
    for count, found in results:
        done += count
        failures.extend(found)
        if progress:
            progress(done, total)
    return failures


def _read_meta(meta: Path, data: Path, expected: dict) -> list[tuple[int, str]] | None:
    """The stored failures if a complete cache matching ``expected`` exists, else None."""
    try:
        stored = json.loads(meta.read_text(encoding="utf-8"))
        size_ok = data.stat().st_size == expected["n"] * expected["size"] ** 2 * 3
    except (OSError, ValueError):
        return None
    if not size_ok or any(stored.get(k) != v for k, v in expected.items()):
        return None
    return [(int(i), str(r)) for i, r in stored.get("failures", [])]


def _check_args(paths: Sequence[Path], size: int, workers: int) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise DataError(f"size (data.image_size) must be a whole number of pixels >= 1. Received: size={size!r}")
    if not isinstance(workers, int) or workers < 0:
        raise DataError(f"workers (data.workers) must be >= 0 (0 = one per CPU core). Received: workers={workers!r}")
    if len(paths) == 0:
        raise DataError("There are no images to cache: the label source found no usable images. Run `toonlab check DATA`.")


def _size(path: str | Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return -1

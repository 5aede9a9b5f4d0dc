"""Exact and near-duplicate images in the decoded image cache, and what to do about them.

Near-duplicates take two tests. The candidate test compares fingerprints: each image's
8x8 colour thumbnail (area averages, 0-255), 192 numbers, an "average hash" kept as real
numbers rather than cut to bits. A pair is a candidate when the root-mean-square difference
of the fingerprints (L2 / sqrt(192), in grey levels) is at most ``max_rms`` (``DEFAULT_RMS`` =
4). The verification test compares 32x32 colour thumbnails: no pixel may differ by more than
``max_pixel_diff`` (``MAX_PIXEL_DIFF`` = 40) levels. Identical pixels (equal BLAKE2b digests)
are duplicates with no test. Duplicate pairs are joined into clusters (connected
components), so A~B and B~C put A, B and C in one cluster.

Why not a perceptual hash (pHash, the 63 low DCT frequencies of the grey image as bits):
cartoon faces share one layout, so on 10,000 different built-in faces (128 px cache) 217,000
pairs lie within 4 bits, and real copies are missed: a 256 px face re-saved as JPEG after
resizing to 200 px (q80) or 128 px (q70) is 5-17 bits from its original. Those copies are
within RMS 0.4-1.0 of their originals; resized (x0.6-x1) JPEG (q75-80) copies of 128-256 px
faces and drawings measured within RMS 3. Among the 10,000 different faces, 63 pairs are
within RMS 4 (803 within 6), so candidates stay few; the closest is at 1.4, which is why
candidates are verified. Flat images need no special case: two flat colours are their
colour difference apart.

Why 40 levels: copies of 256 px faces stay within 32 on the 32x32 thumbnails, but sharp
lines drawn at 128 px move more when resized: copies shrunk by 0.75 and saved as JPEG q75
reach 45-57 (about 90% within 40, 65% within 32). Different faces are further apart: the 803
pairs within RMS 6 all differ by 50 or more somewhere. A patch of colour 80 levels off is
never a duplicate, another eye colour rarely (1 face in 30 within 40); a change only to thin
lines (another eyebrow shape, eyelashes) can move a 32x32 thumbnail no more than
re-encoding does, so faces that differ only in such a detail may be called near-duplicates.
(Cache version 1 decoded JPEG copies with an odd side shifted by part of a pixel, which pushed
them past 40; since cache version 2 the reduced-size decode is resized from its covered area.)

Cost: fingerprints, thumbnails and exact keys are O(N * S^2) and stream the cache in
chunks (a memmap is never loaded whole); the thumbnails are kept (3 KB per image).
Comparing fingerprints is all-pairs, O(N^2 / 2 * 192) multiply-adds as float32 matrix
products of ``block x block`` tiles (memory O(block^2)); for 10,000 images (50 M pairs)
that is about half a second.

What to do with clusters is the ``--duplicates`` mode: ``report`` lists clusters that
straddle splits (``cross_split``), ``group`` makes every cluster one split group
(``group_keys_for``), ``drop`` keeps one image per cluster (``drop_rows``), ``drop-conflicts``
too, but keeps no image of a cluster whose copies disagree on a label (:mod:`toonlab.data.conflicts`).

Example:
    >>> images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    >>> images[2] = images[0]
    >>> find_duplicates(images)
    [array([0, 2])]
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from toonlab.config import choices_of
from toonlab.data.splits import group_ids
from toonlab.errors import DataError

DUPLICATE_MODES = choices_of("data.duplicates")  # checked with the config
DROP_MODES = ("drop", "drop-conflicts")  # modes that remove images, so need the clusters even where nothing reports
THUMB_SIDE = 32  # thumbnails that verify near-duplicate candidates
PRINT_SIDE = 8  # fingerprints are PRINT_SIDE x PRINT_SIDE colour thumbnails (192 values)
DEFAULT_RMS = 4.0  # grey levels (RMS over the fingerprint); resized / re-encoded copies are within 3
MAX_PIXEL_DIFF = 40  # levels a 32x32 thumbnail pixel of a near-duplicate may differ by
_RECHECK = 16384  # candidate pairs re-measured at a time


def exact_keys(images: np.ndarray) -> np.ndarray:
    """A content digest per image (hex BLAKE2b of its pixels): identical pixels give identical keys.

    Example:
        >>> keys = exact_keys(np.zeros((2, 8, 8, 3), np.uint8))
        >>> bool(keys[0] == keys[1])
        True
    """
    _check_images(images)
    digests = [hashlib.blake2b(np.ascontiguousarray(img).tobytes(), digest_size=16).hexdigest() for img in images]
    return np.array(digests, dtype="U32")


def fingerprints(images: np.ndarray, *, batch: int = 512) -> np.ndarray:
    """Each image's 8x8 colour thumbnail (area averages, 0-255) as a float32 row of 192 values.

    The 4x4 block means of the 32x32 ``thumbnails``, so a memmap is read ``batch`` images at a time.

    Example:
        >>> images = np.zeros((2, 40, 40, 3), np.uint8); images[1, :20] = 200  # top half light
        >>> prints = fingerprints(images)
        >>> prints.shape, prints.dtype, prints[1].reshape(8, 8, 3)[[0, 7], 0].tolist()
        ((2, 192), dtype('float32'), [[200.0, 200.0, 200.0], [0.0, 0.0, 0.0]])
    """
    return _fingerprints_of(thumbnails(images, batch=batch))


def find_duplicates(
    images: np.ndarray, *, max_rms: float = DEFAULT_RMS, max_pixel_diff: int = MAX_PIXEL_DIFF, block: int = 1024,
) -> list[np.ndarray]:
    """Clusters of duplicate images: near-duplicates (fingerprint and thumbnail agree) or identical pixels.

    Args:
        images: uint8 image cache (N, H, W, 3); a memmap is read in chunks.
        max_rms: largest root-mean-square difference, in grey levels (0-255), of two images'
            ``fingerprints`` (8x8 colour thumbnails) for the pair to be a near-duplicate candidate.
        max_pixel_diff: largest difference (0-255) of any 32x32 thumbnail pixel of a near-duplicate pair.
        block: fingerprints compared per block side; time is O(N^2), memory O(block^2).

    Returns:
        Clusters (connected components of the duplicate pairs), each a sorted int64 array of at
        least two row indices, ordered by their first row.

    Raises:
        DataError: ``max_rms`` is not a finite number >= 0.

    Example:
        >>> flat = np.zeros((3, 16, 16, 3), np.uint8); flat[2] = 9
        >>> find_duplicates(flat)  # two flat images 9 levels apart are different images
        [array([0, 1])]
    """
    _check_rms(max_rms)
    thumbs = thumbnails(images)
    first, second = near_pairs(_fingerprints_of(thumbs), max_rms=max_rms, block=block)
    if len(first):
        same = thumbnail_close(thumbs, first, second, max_pixel_diff)
        first, second = first[same], second[same]
    same_a, same_b = _equal_pairs(exact_keys(images))
    roots = _components(len(images), np.concatenate([first, same_a]), np.concatenate([second, same_b]))
    return _clusters(roots)


def near_pairs(fingerprints: np.ndarray, *, max_rms: float, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` whose fingerprints differ by at most ``max_rms`` (root mean square), as two int64 arrays.

    Squared distances come tile by tile from ``|a|^2 + |b|^2 - 2 a.b`` (one float32 matrix product
    per ``block x block`` tile, upper triangle only): time O(N^2 d / 2), memory O(block^2). The
    tiles keep every pair within ``max_rms`` plus a float32 rounding margin; those candidates are
    re-measured exactly (float64 differences), so the result does not depend on ``block``.

    Args:
        fingerprints: (N, d) array, e.g. from ``fingerprints``.
        max_rms: largest root-mean-square difference ``sqrt(sum((a - b)^2) / d)`` of a pair.
        block: rows per tile side.

    Returns:
        ``(first, second)``: int64 row indices with ``first < second``, sorted by ``first`` then ``second``.

    Example:
        >>> prints = np.array([[0, 0], [3, 4], [3, 5], [100, 100]], np.float32)
        >>> near_pairs(prints, max_rms=3.6)  # rms of (3, 4) is sqrt(25 / 2) = 3.54
        (array([0, 1]), array([1, 2]))
    """
    _check_rms(max_rms)
    prints = np.asarray(fingerprints, dtype=np.float32)
    if prints.ndim != 2 or isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"fingerprints must be 2-D and block a whole number >= 1. Received {prints.shape}, {block=!r}")
    limit = float(max_rms) ** 2 * prints.shape[1]  # on squared L2 distances
    first, second = _candidate_pairs(prints, limit, block)
    keep = np.empty(len(first), dtype=bool)
    for k in range(0, len(first), _RECHECK):  # exact: float64 differences of the float32 fingerprints
        diff = prints[first[k : k + _RECHECK]].astype(np.float64) - prints[second[k : k + _RECHECK]]
        keep[k : k + _RECHECK] = np.einsum("ij,ij->i", diff, diff) <= limit
    first, second = first[keep], second[keep]
    order = np.lexsort((second, first))
    return first[order], second[order]


def _candidate_pairs(prints: np.ndarray, limit: float, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` whose float32 ``|a|^2 + |b|^2 - 2 a.b`` is within ``limit`` plus a rounding margin."""
    n = len(prints)
    centred = prints - prints.mean(axis=0, dtype=np.float64).astype(np.float32) if n else prints  # smaller norms
    norms = np.einsum("ij,ij->i", centred, centred)
    # float32 rounding of the expansion is at most about 4 * dim * 2**-24 * max |a|^2 (5e-5 of it for 192 values).
    loose = limit + 1e-4 * float(norms.max(initial=0.0)) + 1e-3
    above = ~np.tri(block, block, dtype=bool)  # strictly above the diagonal, for tiles on the diagonal
    firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for start in range(0, n, block):
        rows = centred[start : start + block]
        for other in range(start, n, block):
            cols = centred[other : other + block]
            squared = rows @ cols.T
            squared *= -2.0
            squared += norms[start : start + len(rows), None]
            squared += norms[None, other : other + len(cols)]  # tiny negatives from rounding count as close
            close = squared <= loose
            if other == start:
                close &= above[: len(rows), : len(cols)]
            i, j = np.nonzero(close)
            firsts.append(i + start)
            seconds.append(j + other)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def cross_split(clusters: list[np.ndarray], splits: dict[str, np.ndarray]) -> list[dict]:
    """The clusters whose members land in more than one split.

    Args:
        clusters: as returned by ``find_duplicates``.
        splits: split name -> row indices (e.g. ``make_splits`` output).

    Returns:
        One ``{"rows": [...], "splits": [...]}`` per straddling cluster; ``splits`` names the split of
        each row in ``rows`` (None for a row in no split).

    Example:
        >>> cross_split([np.array([0, 2])], {"train": np.array([0, 1]), "test": np.array([2])})
        [{'rows': [0, 2], 'splits': ['train', 'test']}]
    """
    where: dict[int, str] = {}
    for name, rows in splits.items():
        where.update(dict.fromkeys(np.asarray(rows).tolist(), name))
    found = []
    for cluster in clusters:
        names = [where.get(row) for row in cluster.tolist()]
        if len({name for name in names if name is not None}) > 1:
            found.append({"rows": cluster.tolist(), "splits": names})
    return found


def group_keys_for(clusters: list[np.ndarray], n: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Group keys for ``--duplicates group``: every cluster in one group, merged with existing ``groups``.

    If a cluster touches several existing groups, all of them become one group (and transitively so).

    Args:
        clusters: as returned by ``find_duplicates``.
        n: number of images.
        groups: optional existing length-``n`` group keys (None/""/NaN = a group of its own).

    Returns:
        int64 keys, one per image: the lowest row of its merged group; pass them to ``make_splits(groups=)``.

    Example:
        >>> group_keys_for([np.array([1, 2])], 4, groups=np.array(["a", "a", "b", ""]))
        array([0, 0, 0, 3])
    """
    ids = np.arange(n) if groups is None else group_ids(groups, n)
    first_row = np.full(int(ids.max(initial=-1)) + 1, n, dtype=np.int64)
    np.minimum.at(first_row, ids, np.arange(n))
    starts = [np.repeat(c[0], len(c) - 1) for c in clusters]
    ends = [c[1:] for c in clusters]
    a = np.concatenate([np.arange(n)] + starts).astype(np.int64)
    b = np.concatenate([first_row[ids]] + ends).astype(np.int64)
    return _components(n, a, b)


def drop_rows(clusters: list[np.ndarray]) -> np.ndarray:
    """Rows to drop for ``--duplicates drop``: all but the lowest row of each cluster, sorted.

    Example:
        >>> drop_rows([np.array([3, 5, 9]), np.array([1, 4])])
        array([4, 5, 9])
    """
    rest = [np.asarray(c)[1:] for c in clusters]
    return np.sort(np.concatenate(rest)).astype(np.int64) if rest else np.zeros(0, dtype=np.int64)


def _check_images(images: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] != 3):
        raise ValueError(f"images must be uint8 (N, H, W, 3) or (N, H, W). Received {images.dtype} {images.shape}")


def _check_rms(max_rms: float) -> None:
    number = isinstance(max_rms, (int, float, np.integer, np.floating)) and not isinstance(max_rms, (bool, np.bool_))
    if not number or not math.isfinite(max_rms) or max_rms < 0:
        raise DataError(
            "duplicate_distance (data.duplicate_distance) must be a finite number >= 0: the largest root-mean-square "
            "difference, in grey levels (0-255), of two images' 8x8 colour thumbnails (0 = identical thumbnails); "
            f"4 catches resized or re-encoded copies. Received: duplicate_distance={max_rms!r}"
        )


def _fingerprints_of(thumbs: np.ndarray) -> np.ndarray:
    """(N, 192) float32: 4x4 block means of (N, 32, 32, 3) thumbnails, i.e. 8x8 colour area averages."""
    step = THUMB_SIDE // PRINT_SIDE
    blocks = thumbs.reshape(len(thumbs), PRINT_SIDE, step, PRINT_SIDE, step, 3)
    return blocks.mean(axis=(2, 4), dtype=np.float32).reshape(len(thumbs), PRINT_SIDE * PRINT_SIDE * 3)


def thumbnails(images: np.ndarray, *, batch: int = 512) -> np.ndarray:
    """(N, 32, 32, 3) uint8 area-averaged colour thumbnails, read ``batch`` images at a time."""
    _check_images(images)
    rows, cols = _area(images.shape[1]), _area(images.shape[2])
    out = np.empty((len(images), THUMB_SIDE, THUMB_SIDE, 3), np.uint8)
    for i in range(0, len(images), batch):
        chunk = np.asarray(images[i : i + batch], dtype=np.float32)
        chunk = chunk if chunk.ndim == 4 else chunk[..., None]
        narrow = np.matmul(cols, chunk).transpose(0, 2, 1, 3)  # (b, h, w, c) -> (b, 32, h, c): width averaged
        small = np.matmul(rows, narrow).transpose(0, 2, 1, 3)  # -> (b, 32, 32, c): height averaged
        out[i : i + batch] = small.round().clip(0, 255).astype(np.uint8)
    return out


def thumbnail_close(thumbs: np.ndarray, a: np.ndarray, b: np.ndarray, max_diff: int, chunk: int = 4096) -> np.ndarray:
    """For each pair (a[i], b[i]): True when no thumbnail pixel differs by more than ``max_diff``."""
    keep = np.empty(len(a), dtype=bool)
    for i in range(0, len(a), chunk):
        diff = np.abs(thumbs[a[i : i + chunk]].astype(np.int16) - thumbs[b[i : i + chunk]].astype(np.int16))
        keep[i : i + chunk] = diff.reshape(len(diff), -1).max(axis=1) <= max_diff
    return keep


def _area(side: int) -> np.ndarray:
    """(THUMB_SIDE, side) matrix whose rows average ``side`` pixels down to THUMB_SIDE (exact overlaps)."""
    edges = np.arange(THUMB_SIDE + 1) * side / THUMB_SIDE
    pixels = np.arange(side)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return (np.clip(overlap, 0, None) / (side / THUMB_SIDE)).astype(np.float32)


def _equal_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first row with this key, row) for every row whose key appeared before."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rows = np.arange(len(keys))
    anchor = first[inverse.ravel()]
    repeat = anchor != rows
    return anchor[repeat].astype(np.int64), rows[repeat]


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over edges (a[i], b[i]), vectorised: hook roots to the smaller root, then compress paths.

    Returns each node's root, the lowest index in its component.
    """
    root = np.arange(n)
    while True:
        ra, rb = root[a], root[b]
        if np.array_equal(ra, rb):
            return root
        low = np.minimum(ra, rb)
        np.minimum.at(root, ra, low)
        np.minimum.at(root, rb, low)
        while not np.array_equal(root, root[root]):
            root = root[root]


def _clusters(roots: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(roots, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(roots[order]) != 0])
    parts = np.split(order.astype(np.int64), starts[1:])
    return [p for p in parts if len(p) > 1]

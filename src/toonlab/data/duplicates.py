"""Exact and near-duplicate images in the decoded image cache, and what to do about them.

Near-duplicates are found with a DCT perceptual hash (pHash): each image is turned to
grey, area-averaged to 32x32, and the 63 lowest non-DC frequencies of its 2-D DCT are
compared with their median, one bit each. Small rescales and JPEG-like noise move few
bits; a flip or a recolour is a different image. The hash ignores overall brightness,
so images without structure (flat colour) hash to (nearly) 0; such low-information hashes (fewer
than ``MIN_BITS`` set bits) only match by identical pixels, never as near-duplicates.

A close hash alone is not enough for drawings: cartoon faces share one layout, and on 10,000
built-in faces 217,000 pairs lie within 4 bits although none is a copy. So every hash
candidate is verified on 32x32 colour thumbnails: no pixel may differ by more than
``max_pixel_diff`` levels (of 255). A resized or re-encoded copy stays within a few levels;
two faces that differ only in eye colour differ by 50+ levels where the eyes are.
Two images are duplicates when they pass both tests or their pixels are identical, and
duplicate pairs are joined into clusters (connected components), so A~B and B~C put
A, B and C in one cluster.

Comparing hashes is all-pairs: O(N^2 / 2) XOR + popcount, done in blocks of
``block x block`` with ``np.bitwise_count`` (memory O(block^2)); about 50 M pairs for
10k images. Hashing is O(N * S^2) and streams the cache in chunks, so a memmap of any
size is never loaded whole.

What to do with clusters is the ``--duplicates`` mode: ``report`` lists clusters that
straddle splits (``cross_split``), ``group`` makes every cluster one split group
(``group_keys_for``), ``drop`` keeps one image per cluster (``drop_rows``).

Example:
    >>> images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    >>> images[2] = images[0]
    >>> find_duplicates(images)
    [array([0, 2])]
"""

from __future__ import annotations

import difflib
import hashlib

import numpy as np

from toonlab.data.splits import group_ids
from toonlab.errors import DataError

DUPLICATE_MODES = ("report", "group", "drop")
HASH_SIDE = 32  # images are area-averaged to HASH_SIDE x HASH_SIDE before the DCT
LOW = 8  # the LOW x LOW lowest frequencies make the hash (DC excluded: 63 bits)
_GREY = np.array([0.299, 0.587, 0.114], dtype=np.float32)
THUMB_SIDE = 32  # thumbnails that verify hash candidates
MAX_PIXEL_DIFF = 32  # levels a thumbnail pixel of a near-duplicate may differ by
MIN_BITS = 8  # hashes with fewer set bits carry too little structure to call two images near-duplicates
_TIE = 0.01  # grey levels; coefficients this close to the median give bit 0 (float32 noise is ~1e-3)


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is one of ``DUPLICATE_MODES``; DataError naming the option otherwise.

    Example:
        >>> check_mode("group")
        'group'
    """
    if mode in DUPLICATE_MODES:
        return mode
    close = difflib.get_close_matches(str(mode), DUPLICATE_MODES, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(
        "duplicates (--duplicates, data.duplicates) must be 'report' (list duplicates across splits), "
        f"'group' (keep copies in one split) or 'drop' (keep one copy).{hint} Received: duplicates={mode!r}"
    )


def perceptual_hashes(images: np.ndarray, *, batch: int = 512) -> np.ndarray:
    """A 64-bit DCT pHash per image (bit 63 is always 0), read ``batch`` images at a time.

    Args:
        images: uint8 array (N, H, W, 3) or (N, H, W); a memmap is read in chunks.
        batch: images per chunk (memory is about ``batch * H * W * 16`` bytes).

    Returns:
        uint64 array of N hashes; compare them with ``np.bitwise_count(a ^ b)``.

    Example:
        >>> perceptual_hashes(np.zeros((2, 40, 40, 3), np.uint8)).tolist()
        [0, 0]
    """
    _check_images(images)
    rows = _projection(images.shape[1])
    cols = rows if images.shape[2] == images.shape[1] else _projection(images.shape[2])
    chunks = [_hash_chunk(images[i : i + batch], rows, cols) for i in range(0, len(images), batch)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint64)


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


def find_duplicates(
    images: np.ndarray, *, max_distance: int = 4, block: int = 256, max_pixel_diff: int = MAX_PIXEL_DIFF,
) -> list[np.ndarray]:
    """Clusters of duplicate images: pHash within ``max_distance`` bits, or identical pixels.

    Args:
        images: uint8 image cache (N, H, W, 3).
        max_distance: Hamming distance in bits that still counts as a near-duplicate (0 = same hash).
        block: hashes compared per block side; time is O(N^2), memory O(block^2).
        max_pixel_diff: largest difference (0-255) of any 32x32 thumbnail pixel of a near-duplicate pair.

    Returns:
        Clusters (connected components of the duplicate pairs), each a sorted int64 array of at
        least two row indices, ordered by their first row.

    Example:
        >>> flat = np.zeros((3, 16, 16, 3), np.uint8); flat[2] = 9
        >>> find_duplicates(flat)  # flat images match only when their pixels are identical
        [array([0, 1])]
    """
    _check_distance(max_distance)
    hashes = perceptual_hashes(images)
    informative = np.flatnonzero(np.bitwise_count(hashes) >= MIN_BITS)
    first, second = near_pairs(hashes[informative], max_distance=max_distance, block=block)
    first, second = informative[first], informative[second]
    if len(first):
        same = thumbnail_close(thumbnails(images), first, second, max_pixel_diff)
        first, second = first[same], second[same]
    same_a, same_b = _equal_pairs(exact_keys(images))
    roots = _components(len(images), np.concatenate([first, same_a]), np.concatenate([second, same_b]))
    return _clusters(roots)


def near_pairs(hashes: np.ndarray, *, max_distance: int, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` with ``bitwise_count(hashes[i] ^ hashes[j]) <= max_distance``, as two int64 arrays.

    Time O(N^2 / 2), memory O(block^2): each ``block x block`` tile is XOR-ed and counted in reused buffers.

    Example:
        >>> near_pairs(np.array([0, 1, 255], np.uint64), max_distance=1)
        (array([0]), array([1]))
    """
    hashes = np.asarray(hashes, dtype=np.uint64)
    buffers = (np.empty((block, block), np.uint64), np.empty((block, block), np.uint8), np.empty((block, block), bool))
    above = ~np.tri(block, block, dtype=bool)  # strictly above the diagonal, for tiles on the diagonal
    firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for start in range(0, len(hashes), block):
        for other in range(start, len(hashes), block):
            close = _close_tile(hashes[start : start + block], hashes[other : other + block], max_distance, buffers)
            if other == start:
                close &= above[: close.shape[0], : close.shape[1]]
            if close.any():
                i, j = np.nonzero(close)
                firsts.append(i + start)
                seconds.append(j + other)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def _close_tile(rows: np.ndarray, cols: np.ndarray, max_distance: int, buffers) -> np.ndarray:
    """Boolean tile ``popcount(rows[i] ^ cols[j]) <= max_distance``, written into views of ``buffers``."""
    xor, count, close = (buf[: len(rows), : len(cols)] for buf in buffers)
    np.bitwise_xor(rows[:, None], cols[None, :], out=xor)
    np.bitwise_count(xor, out=count)
    return np.less_equal(count, max_distance, out=close)


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


def _check_distance(max_distance: int) -> None:
    if not isinstance(max_distance, (int, np.integer)) or isinstance(max_distance, bool) or not 0 <= max_distance <= 64:
        raise DataError(
            "duplicate_distance (data.duplicate_distance) must be a whole number of hash bits from 0 (same hash) "
            f"to 64; 4 catches resized or re-encoded copies. Received: duplicate_distance={max_distance!r}"
        )


def _projection(side: int) -> np.ndarray:
    """(LOW, side) matrix: area-average ``side`` pixels to HASH_SIDE, then the LOW lowest DCT-II rows."""
    edges = np.arange(HASH_SIDE + 1) * side / HASH_SIDE
    pixels = np.arange(side)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    area = np.clip(overlap, 0, None) / (side / HASH_SIDE)
    k, x = np.arange(LOW)[:, None], np.arange(HASH_SIDE)
    dct = np.cos(np.pi * (2 * x + 1) * k / (2 * HASH_SIDE)) * np.sqrt(2 / HASH_SIDE)
    dct[0] /= np.sqrt(2)  # orthonormal DCT-II
    return (dct @ area).astype(np.float32)


def _hash_chunk(chunk: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    grey = np.asarray(chunk, dtype=np.float32)
    if grey.ndim == 4:
        grey = grey @ _GREY
    low = (rows @ grey @ cols.T).reshape(len(grey), LOW * LOW)[:, 1:]  # drop DC
    bits = low - np.median(low, axis=1, keepdims=True) > _TIE  # flat images: all bits 0, not rounding noise
    return (bits.astype(np.uint64) << np.arange(LOW * LOW - 1, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)


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

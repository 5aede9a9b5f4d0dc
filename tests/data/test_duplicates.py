"""Perceptual hashes, exact keys, duplicate clusters and the --duplicates modes (report, group, drop)."""

from __future__ import annotations

import numpy as np
import pytest

from toonlab.data.duplicates import (
    DUPLICATE_MODES,
    _clusters,
    _components,
    check_mode,
    cross_split,
    drop_rows,
    exact_keys,
    find_duplicates,
    group_keys_for,
    near_pairs,
    perceptual_hashes,
)
from toonlab.data.splits import make_splits
from toonlab.errors import DataError

SIZE = 48


def blob_images(n: int, seed: int = 0, size: int = SIZE) -> np.ndarray:
    """Smooth test images: a grey field with four coloured Gaussian blobs each."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    images = np.full((n, size, size, 3), 128.0)
    for i in range(n):
        for _ in range(4):
            cy, cx = rng.uniform(0.15, 0.85, 2)
            radius = rng.uniform(0.08, 0.2)
            blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius**2))
            images[i] += rng.uniform(-150, 150, 3) * blob[..., None]
    return np.clip(images, 0, 255).astype(np.uint8)


def rescaled(image: np.ndarray, side: int) -> np.ndarray:
    """Shrink to ``side`` by block averaging and blow back up (a lower-resolution copy)."""
    factor = image.shape[0] // side
    small = image.reshape(side, factor, side, factor, 3).mean(axis=(1, 3))
    return small.repeat(factor, axis=0).repeat(factor, axis=1).round().astype(np.uint8)


def hamming(a, b) -> int:
    return int(np.bitwise_count(np.uint64(a) ^ np.uint64(b)))


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return blob_images(40)


def test_hashes_are_uint64_and_chunking_does_not_matter(images):
    hashes = perceptual_hashes(images)
    assert hashes.dtype == np.uint64 and hashes.shape == (40,)
    assert np.array_equal(hashes, perceptual_hashes(images, batch=7))
    assert len(np.unique(hashes)) == 40
    assert perceptual_hashes(images[:0]).shape == (0,)


def test_hashes_read_a_memmap_in_chunks(images, tmp_path):
    stored = np.lib.format.open_memmap(tmp_path / "cache.npy", mode="w+", dtype=np.uint8, shape=images.shape)
    stored[:] = images
    assert np.array_equal(perceptual_hashes(stored, batch=16), perceptual_hashes(images))


def test_small_changes_move_few_bits_and_unrelated_images_many(images):
    hashes = perceptual_hashes(images)
    noise = np.random.default_rng(1).normal(0, 1.5, images.shape)
    noisy = perceptual_hashes(np.clip(images + noise, 0, 255).astype(np.uint8))
    smaller = perceptual_hashes(np.stack([rescaled(im, 24) for im in images]))
    assert np.median([hamming(a, b) for a, b in zip(hashes, noisy)]) <= 2
    assert np.median([hamming(a, b) for a, b in zip(hashes, smaller)]) <= 2
    unrelated = np.bitwise_count(hashes[:, None] ^ hashes[None, :])[np.triu_indices(40, 1)]
    assert unrelated.min() > 8


def test_exact_keys_match_identical_pixels_only(images):
    keys = exact_keys(np.concatenate([images[:3], images[:1]]))
    assert keys[0] == keys[3] and len(set(keys[:3].tolist())) == 3
    changed = images[:1].copy()
    changed[0, 0, 0, 0] ^= 1
    assert exact_keys(changed)[0] != keys[0]


def test_find_duplicates_finds_exact_and_near_copies(images):
    data = images[:10].copy()
    data[7] = data[2]  # exact copy
    data[9] = rescaled(data[4], 24)  # lower-resolution copy
    assert hamming(*perceptual_hashes(data[[4, 9]])) <= 4
    clusters = find_duplicates(data, max_distance=4)
    assert [c.tolist() for c in clusters] == [[2, 7], [4, 9]]
    assert all(c.dtype == np.int64 for c in clusters)
    assert [c.tolist() for c in find_duplicates(data, max_distance=0)] == [[2, 7]]


def test_identical_pixels_cluster_even_at_distance_zero(images):
    data = np.stack([images[0], images[1], images[0]])
    assert [c.tolist() for c in find_duplicates(data, max_distance=0)] == [[0, 2]]


def test_flat_images_hash_to_zero():
    flat = np.stack([np.full((40, 40, 3), v, np.uint8) for v in (0, 77, 255)])
    assert perceptual_hashes(flat).tolist() == [0, 0, 0]


def test_clusters_are_transitive_connected_components():
    hashes = np.array([0, 0xF, 0xFF, 2**64 - 1, 0xFFF], dtype=np.uint64)
    first, second = near_pairs(hashes, max_distance=4)
    assert sorted(zip(first.tolist(), second.tolist())) == [(0, 1), (1, 2), (2, 4)]
    roots = _components(5, first, second)
    assert [c.tolist() for c in _clusters(roots)] == [[0, 1, 2, 4]]  # 0 and 2 differ in 8 bits, joined via 1


def test_near_pairs_blocks_agree_with_brute_force():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**64 - 1, 300, dtype=np.uint64, endpoint=True)
    hashes[100:200] = hashes[0] ^ (np.uint64(1) << rng.integers(0, 64, 100).astype(np.uint64))
    distance = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    expected = set(zip(*(a.tolist() for a in np.nonzero(np.triu(distance <= 3, 1)))))
    for block in (7, 64, 1000):
        first, second = near_pairs(hashes, max_distance=3, block=block)
        assert set(zip(first.tolist(), second.tolist())) == expected


def test_cross_split_lists_only_straddling_clusters():
    clusters = [np.array([0, 5]), np.array([1, 2]), np.array([3, 6, 7])]
    splits = {"train": np.array([0, 1, 2, 3]), "val": np.array([5, 6]), "test": np.array([4])}
    assert cross_split(clusters, splits) == [
        {"rows": [0, 5], "splits": ["train", "val"]},
        {"rows": [3, 6, 7], "splits": ["train", "val", None]},
    ]


def test_group_keys_merge_clusters_with_existing_groups():
    clusters = [np.array([1, 4]), np.array([6, 7])]
    groups = np.array(["a", "a", "b", "", "c", "c", None, "d"], dtype=object)
    keys = group_keys_for(clusters, 8, groups=groups)
    # 1~4 joins groups a and c (rows 0, 1, 4, 5); 6~7 joins the blank row 6 with group d
    assert keys.tolist() == [0, 0, 2, 3, 0, 0, 6, 6]
    assert group_keys_for(clusters, 8).tolist() == [0, 1, 2, 3, 1, 5, 6, 6]


def test_group_keys_keep_duplicates_in_one_split(images):
    data = np.concatenate([images[:20], images[:5]])  # rows 20..24 copy rows 0..4
    keys = group_keys_for(find_duplicates(data), len(data))
    for seed in range(5):
        splits = make_splits(len(data), seed=seed, val_fraction=0.2, test_fraction=0.2, groups=keys)
        assert cross_split(find_duplicates(data), splits) == []


def test_drop_rows_keeps_the_first_of_each_cluster():
    assert drop_rows([np.array([3, 5, 9]), np.array([1, 4])]).tolist() == [4, 5, 9]
    assert drop_rows([]).dtype == np.int64 and len(drop_rows([])) == 0


def test_modes():
    assert DUPLICATE_MODES == ("report", "group", "drop")
    assert all(check_mode(m) == m for m in DUPLICATE_MODES)
    with pytest.raises(DataError, match=r"--duplicates, data\.duplicates.*Did you mean 'drop'.*duplicates='dorp'"):
        check_mode("dorp")


@pytest.mark.parametrize("bad", [-1, 65, 2.5, True])
def test_bad_distance(bad):
    with pytest.raises(DataError, match="data.duplicate_distance"):
        find_duplicates(np.zeros((2, 8, 8, 3), np.uint8), max_distance=bad)


def test_flat_images_of_different_colours_are_not_near_duplicates():
    images = np.zeros((3, 32, 32, 3), np.uint8)
    images[1], images[2] = 120, 250
    assert find_duplicates(images) == []


def test_a_jpeg_copy_is_a_near_duplicate_but_a_local_change_is_not(images, tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(images[0]).save(buf, "JPEG", quality=80)
    jpeg = np.asarray(Image.open(buf).convert("RGB"))
    patched = images[0].copy()
    patched[20:24, 20:24] = np.clip(patched[20:24, 20:24].astype(int) + 80, 0, 255)  # e.g. another eye colour
    stack = np.stack([images[0], jpeg, patched, images[1]])
    assert [c.tolist() for c in find_duplicates(stack)] == [[0, 1]]
    # Even with every pair a hash candidate (64 bits), the thumbnail check keeps only the real copy.
    assert [c.tolist() for c in find_duplicates(stack, max_distance=64)] == [[0, 1]]

"""Fingerprints, exact keys, duplicate clusters and the --duplicates modes (report, group, drop)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from toonlab.data.cache import decode_image
from toonlab.data.duplicates import (
    DUPLICATE_MODES,
    MAX_PIXEL_DIFF,
    _clusters,
    _components,
    cross_split,
    drop_rows,
    exact_keys,
    find_duplicates,
    fingerprints,
    group_keys_for,
    near_pairs,
    thumbnails,
)
from toonlab.data.splits import make_splits
from toonlab.data.synth import synthesize
from toonlab.errors import DataError

SIZE = 48
CACHE = 64  # cache side of the images decoded from files
WHITE = (255, 255, 255)


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


def cartoon(seed: int, size: int = 128, eye: tuple[int, int, int] = (40, 90, 200)) -> Image.Image:
    """A drawing on white: filled shapes with hard edges and 3 px black outlines, and one small 'eye'."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (size, size), WHITE)
    draw = ImageDraw.Draw(im)
    for _ in range(5):
        x, y = (int(v) for v in rng.integers(0, size * 3 // 4, 2))
        w, h = (int(v) for v in rng.integers(size // 6, size // 2, 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=fill, outline=0, width=3)
    c = size // 2
    draw.ellipse((c - 8, c - 8, c + 8, c + 8), fill=WHITE, outline=0, width=2)
    draw.ellipse((c - 5, c - 5, c + 5, c + 5), fill=eye)
    return im


def saved(im: Image.Image, fmt: str = "PNG", scale: float = 1.0, quality: int = 75) -> io.BytesIO:
    """``im`` flattened onto white, resized by ``scale`` (Lanczos) and saved as ``fmt``, in memory."""
    if im.mode != "RGB":
        rgba = im.convert("RGBA")
        im = Image.new("RGB", rgba.size, WHITE)
        im.paste(rgba, mask=rgba)
    if scale != 1.0:
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    buf.seek(0)
    return buf


def cached(source) -> np.ndarray:
    """A file (path or buffer) decoded the way the image cache does."""
    return decode_image(source, CACHE, WHITE)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return blob_images(40)


def test_fingerprints_are_8x8_colour_means_and_chunking_does_not_matter(images):
    prints = fingerprints(images)
    assert prints.dtype == np.float32 and prints.shape == (40, 192)
    means = images.reshape(40, 8, SIZE // 8, 8, SIZE // 8, 3).mean(axis=(2, 4)).reshape(40, 192)
    assert np.abs(prints - means).max() <= 0.5  # 4x4 means of rounded 32x32 thumbnails
    assert np.array_equal(prints, fingerprints(images, batch=7))
    assert fingerprints(images[:0]).shape == (0, 192)
    grey = images[..., 0]
    assert np.array_equal(fingerprints(grey), fingerprints(np.repeat(grey[..., None], 3, axis=3)))


def test_fingerprints_read_a_memmap_in_chunks(images, tmp_path):
    stored = np.lib.format.open_memmap(tmp_path / "cache.npy", mode="w+", dtype=np.uint8, shape=images.shape)
    stored[:] = images
    assert np.array_equal(fingerprints(stored, batch=16), fingerprints(images))


def test_near_pairs_blocks_agree_with_brute_force():
    rng = np.random.default_rng(0)
    prints = rng.uniform(0, 255, (300, 192)).astype(np.float32)
    noise = rng.normal(0, 1, (100, 192)) * np.linspace(0.5, 8, 100)[:, None]  # some within 4 levels, some not
    prints[100:200] = np.clip(prints[0] + noise, 0, 255)
    prints[250:] = 250 + rng.normal(0, 2, (50, 192))  # large values, small differences: float32 cancellation
    diff = prints[:, None, :].astype(np.float64) - prints[None, :, :]
    rms = np.sqrt((diff**2).mean(axis=2))
    for max_rms in (0.0, 3.0, 4.0):
        expected = np.nonzero(np.triu(rms <= max_rms, 1))
        assert 0 < len(expected[0]) < 10_000 or max_rms == 0
        for block in (7, 64, 1000):
            first, second = near_pairs(prints, max_rms=max_rms, block=block)
            assert first.dtype == second.dtype == np.int64
            assert np.array_equal(first, expected[0]) and np.array_equal(second, expected[1])  # row-major order
    first, second = near_pairs(prints[:0], max_rms=4)
    assert first.shape == second.shape == (0,)


def test_near_pairs_threshold_is_inclusive():
    prints = np.array([[0, 0], [3, 4]], np.float32)  # rms sqrt(12.5)
    assert near_pairs(prints, max_rms=np.sqrt(12.5))[0].tolist() == [0]
    assert near_pairs(prints, max_rms=3.5)[0].tolist() == []


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
    clusters = find_duplicates(data)
    assert [c.tolist() for c in clusters] == [[2, 7], [4, 9]]
    assert all(c.dtype == np.int64 for c in clusters)
    assert [c.tolist() for c in find_duplicates(data, max_rms=0)] == [[2, 7]]


def test_identical_pixels_cluster_even_at_distance_zero(images):
    data = np.stack([images[0], images[1], images[0]])
    assert [c.tolist() for c in find_duplicates(data, max_rms=0)] == [[0, 2]]


def test_flat_images_of_different_colours_are_not_near_duplicates():
    images = np.zeros((4, 32, 32, 3), np.uint8)
    images[1], images[2], images[3] = 120, 250, 120
    prints = fingerprints(images)
    assert prints[:, 0].tolist() == [0, 120, 250, 120]  # a flat image's fingerprint is its colour
    assert [c.tolist() for c in find_duplicates(images)] == [[1, 3]]  # identical pixels only


def test_clusters_are_transitive_connected_components():
    prints = np.array([[0.0], [3.0], [6.0], [100.0], [9.0]], np.float32)
    first, second = near_pairs(prints, max_rms=3)
    assert list(zip(first.tolist(), second.tolist())) == [(0, 1), (1, 2), (2, 4)]
    roots = _components(5, first, second)
    assert [c.tolist() for c in _clusters(roots)] == [[0, 1, 2, 4]]  # 0 and 2 are 6 apart, joined via 1


def test_jpeg_and_resized_copies_of_a_drawing_are_found():
    im = cartoon(32)  # its copies move a 32x32 thumbnail pixel by 24 levels at most (others: see below)
    data = np.stack([
        cached(saved(im)),  # the drawing, as PNG
        cached(saved(im, "JPEG", quality=75)),  # JPEG re-encoded
        cached(saved(im, "JPEG", scale=0.75, quality=75)),  # resized to 96 px, JPEG
        cached(saved(im, "PNG", scale=0.75)),  # resized to 96 px, PNG
        cached(saved(cartoon(33))),  # another drawing
    ])
    assert [c.tolist() for c in find_duplicates(data)] == [[0, 1, 2, 3]]


def test_most_copies_of_small_drawings_are_found_and_different_drawings_never():
    drawings = [cartoon(seed) for seed in range(40)]
    originals = [cached(saved(im)) for im in drawings]
    copies = [cached(saved(im, "JPEG", scale=0.75, quality=75)) for im in drawings]
    assert find_duplicates(np.stack(originals)) == []
    clusters = [c.tolist() for c in find_duplicates(np.stack(originals + copies))]
    assert all(len(c) == 2 and c[1] == c[0] + 40 for c in clusters)
    # 3 px outlines shrunk to 96 px and JPEG-compressed ring at the edges: about a third of these copies
    # differ by more than MAX_PIXEL_DIFF somewhere on the 32x32 thumbnail (up to 57 levels) and are missed.
    assert len(clusters) >= 22  # 26 when measured


def test_a_local_change_is_not_a_duplicate_but_its_copy_is():
    blue, brown = cartoon(3), cartoon(3, eye=(150, 70, 20))  # another eye colour: 110-180 levels in the iris
    data = np.stack([cached(saved(blue)), cached(saved(brown)), cached(saved(blue, "JPEG", scale=0.75))])
    thumbs = thumbnails(data).astype(int)
    assert np.abs(thumbs[0] - thumbs[1]).max() > MAX_PIXEL_DIFF  # the iris moves the thumbnail beyond the limit
    assert [c.tolist() for c in find_duplicates(data)] == [[0, 2]]


def test_blob_patch_and_jpeg_copy(images):
    buf = io.BytesIO()
    Image.fromarray(images[0]).save(buf, "JPEG", quality=80)
    jpeg = np.asarray(Image.open(buf).convert("RGB"))
    patched = images[0].copy()
    patched[20:24, 20:24] = np.clip(patched[20:24, 20:24].astype(int) + 80, 0, 255)  # a small patch, +80
    stack = np.stack([images[0], jpeg, patched, images[1]])
    assert [c.tolist() for c in find_duplicates(stack)] == [[0, 1]]
    # Even with every pair a fingerprint candidate, the thumbnail check keeps only the real copy.
    assert [c.tolist() for c in find_duplicates(stack, max_rms=255)] == [[0, 1]]


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> list[Path]:
    """40 distinct built-in cartoon faces (128 px RGBA PNGs)."""
    out = tmp_path_factory.mktemp("faces")
    synthesize(out, n=40, size=128, seed=0, workers=1)
    files = sorted(out.rglob("*.png"))
    assert len(files) == 40
    return files


def test_jpeg_resized_copies_of_built_in_faces_are_found(faces):
    originals = [cached(f) for f in faces]
    copies = [cached(saved(Image.open(f), "JPEG", scale=0.75, quality=75)) for f in faces]  # 96 px, q75
    assert find_duplicates(np.stack(originals)) == []  # 40 different faces
    data = np.stack(originals + [copies[4], copies[20]])
    assert [c.tolist() for c in find_duplicates(data)] == [[4, 40], [20, 41]]
    # Every copy at once: only true pairs, and most copies of these small line drawings are found
    # (the rest differ by a little more than MAX_PIXEL_DIFF at some edge of the 32x32 thumbnail).
    clusters = [c.tolist() for c in find_duplicates(np.stack(originals + copies))]
    assert all(c[1] == c[0] + 40 and len(c) == 2 for c in clusters)
    assert len(clusters) >= 32


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
    assert DUPLICATE_MODES == ("report", "group", "drop", "drop-conflicts")  # data.duplicates: its config choices


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), "4", True, None])
def test_bad_distance(bad):
    with pytest.raises(DataError, match=r"data\.duplicate_distance.*finite number >= 0"):
        find_duplicates(np.zeros((2, 8, 8, 3), np.uint8), max_rms=bad)


@pytest.mark.parametrize("good", [0, 4, 2.5, np.float32(4.0)])
def test_distance_may_be_any_finite_number(good):
    assert [c.tolist() for c in find_duplicates(np.zeros((2, 8, 8, 3), np.uint8), max_rms=good)] == [[0, 1]]

"""The uint8 image cache: decoding, compositing, reuse, keys, failures and parallel decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import toonlab.data.cache as cache_mod
from toonlab.data.cache import build_cache, default_cache_dir
from toonlab.errors import DataError


def toon(path: Path, colour=(200, 40, 10, 255), size=(24, 24), mode="RGBA") -> Path:
    """A small image with a transparent left half (for RGBA) and an opaque right half."""
    im = Image.new(mode, size, colour if mode == "RGBA" else colour[: len(mode)])
    if mode == "RGBA":
        im.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    im.save(path)
    return path


@pytest.fixture
def images(tmp_path) -> list[Path]:
    folder = tmp_path / "img"
    folder.mkdir()
    return [toon(folder / f"{i}.png", colour=(20 * i, 100, 200, 255)) for i in range(6)]


def test_shape_dtype_and_background(images, tmp_path):
    cache = build_cache(images, size=8, background="#102030", cache_dir=tmp_path / "c", workers=1)
    assert cache.images.shape == (6, 8, 8, 3) and cache.images.dtype == np.uint8
    assert cache.images.flags["C_CONTIGUOUS"] and cache.ok.all() and not cache.failures
    assert cache.path == tmp_path / "c" / f"{cache.key}.u8" and not cache.reused
    assert (cache.images[2, :, 0] == (0x10, 0x20, 0x30)).all()  # transparent pixels become the background
    assert (cache.images[2, :, -1] == (40, 100, 200)).all()


def test_fully_transparent_palette_la_and_gray_images(tmp_path):
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(clear)
    pal = Image.new("P", (20, 20), 0)
    pal.putpalette([255, 0, 0, 0, 255, 0])
    pal.save(tmp_path / "pal.png", transparency=0)
    Image.new("LA", (20, 20), (90, 0)).save(tmp_path / "la.png")
    toon(tmp_path / "gray.png", colour=(77,), mode="L", size=(30, 10))
    paths = [clear, tmp_path / "pal.png", tmp_path / "la.png", tmp_path / "gray.png"]
    cache = build_cache(paths, size=5, background="lime", cache_dir=tmp_path / "c", workers=1)
    assert (cache.images[:3] == (0, 255, 0)).all()
    assert (cache.images[3] == 77).all()  # grayscale to RGB; non-square stretched to square


def test_reuse_does_not_decode(images, tmp_path, monkeypatch):
    first = build_cache(images, size=8, cache_dir=tmp_path / "c", workers=1)

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(cache_mod, "decode_image", fail)
    second = build_cache(images, size=8, cache_dir=tmp_path / "c", workers=1)
    assert second.reused and second.key == first.key
    assert np.array_equal(np.asarray(second.images), np.asarray(first.images))
    assert sorted(p.suffix for p in (tmp_path / "c").iterdir()) == [".json", ".u8"]  # no temp files left


def test_key_changes_with_content_size_and_background(images, tmp_path):
    key = build_cache(images, size=8, cache_dir=tmp_path, workers=1).key
    assert build_cache(images, size=9, cache_dir=tmp_path, workers=1).key != key
    assert build_cache(images, size=8, background="black", cache_dir=tmp_path, workers=1).key != key
    toon(images[3], colour=(1, 2, 3, 255))
    changed = build_cache(images, size=8, cache_dir=tmp_path, workers=1)
    assert changed.key != key and not changed.reused


def test_incomplete_cache_is_rebuilt(images, tmp_path):
    first = build_cache(images, size=8, cache_dir=tmp_path, workers=1)
    first.path.with_suffix(".json").unlink()
    assert not build_cache(images, size=8, cache_dir=tmp_path, workers=1).reused


def test_bad_files_are_reported_not_fatal(images, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello, not a png")
    truncated = toon(tmp_path / "trunc.png", size=(64, 64)).read_bytes()
    (tmp_path / "trunc.png").write_bytes(truncated[: len(truncated) // 2])
    bad = [tmp_path / n for n in ("empty.png", "text.png", "trunc.png", "gone.png")]
    paths = [images[0], *bad, images[1]]
    cache = build_cache(paths, size=8, cache_dir=tmp_path / "c", workers=1)
    assert cache.ok.tolist() == [True, False, False, False, False, True]
    why = {Path(f.path).name: f.reason for f in cache.failures}
    assert "empty" in why["empty.png"] and "not an image" in why["text.png"]
    assert "corrupt or truncated" in why["trunc.png"] and "no longer exists" in why["gone.png"]
    again = build_cache(paths, size=8, cache_dir=tmp_path / "c", workers=1)
    assert again.reused and again.failures == cache.failures


def test_decompression_bomb_is_reported(tmp_path, monkeypatch):
    path = toon(tmp_path / "big.png", size=(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64*64 > 2*100: PIL refuses it
    cache = build_cache([path], size=8, cache_dir=tmp_path / "c", workers=1)
    assert not cache.ok[0] and "too large" in cache.failures[0].reason


def test_two_workers_match_one(images, tmp_path):
    progress = []
    one = build_cache(images, size=8, cache_dir=tmp_path / "a", workers=1)
    two = build_cache(images, size=8, cache_dir=tmp_path / "b", workers=2, progress=lambda d, t: progress.append((d, t)))
    assert one.path.read_bytes() == two.path.read_bytes()
    assert progress[-1] == (6, 6)


def test_bad_arguments_and_default_dir(images, tmp_path, monkeypatch):
    with pytest.raises(DataError, match="background"):
        build_cache(images, size=8, background="not-a-colour", cache_dir=tmp_path)
    with pytest.raises(DataError, match="size"):
        build_cache(images, size=0, cache_dir=tmp_path)
    monkeypatch.setenv("TOONLAB_CACHE", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    assert build_cache(images[:1], size=4, workers=1).path.parent == tmp_path / "env"


def test_grayscale_cache_has_equal_channels_and_its_own_key(tmp_path):
    path = tmp_path / "c.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(path)
    colour = build_cache([path], size=8, cache_dir=tmp_path / "c", workers=1)
    grey = build_cache([path], size=8, cache_dir=tmp_path / "c", workers=1, grayscale=True)
    assert grey.key != colour.key
    assert (grey.images[0, ..., 0] == grey.images[0, ..., 1]).all() and (grey.images[0, ..., 1] == grey.images[0, ..., 2]).all()
    assert not (colour.images[0, ..., 0] == colour.images[0, ..., 1]).all()


def test_reduced_size_jpeg_decode_is_not_shifted(tmp_path):
    from toonlab.data.cache import decode_image

    picture = np.zeros((205, 205, 3), np.uint8)
    picture[:, (np.arange(205) // 16) % 2 == 1] = 255  # sharp stripes: a shift shows at once
    path = tmp_path / "odd.jpg"
    Image.fromarray(picture).save(path, quality=95)
    reference = np.asarray(Image.fromarray(picture).resize((32, 32), Image.Resampling.LANCZOS), dtype=int)
    # Decoded at 1/4 scale (52 px, the last column a quarter covered); without the box the error is 93.
    assert np.abs(decode_image(path, 32, (255, 255, 255)).astype(int) - reference).max() <= 10

import numpy as np
import pytest
from PIL import Image

from toonlab.config import AugmentConfig
from toonlab.data.preview import GAP, augment_preview
from toonlab.errors import ToonlabError


def _images(n=5, h=12, w=10):
    return np.random.default_rng(0).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def test_writes_a_png_grid_of_the_expected_size(tmp_path):
    cfg = AugmentConfig(hflip=0.5, p_affine=1.0, rotate=20.0, p_noise=0.5, noise_level=0.2, noise_fraction=0.1)
    path = augment_preview(_images(), cfg, tmp_path / "sub" / "p.png", n=3, copies=4, seed=1)
    sheet = np.asarray(Image.open(path))
    assert path.exists() and sheet.shape == (3 * 12 + 4 * GAP, 5 * 10 + 6 * GAP, 3)
    again = np.asarray(Image.open(augment_preview(_images(), cfg, tmp_path / "q.png", n=3, copies=4, seed=1)))
    assert np.array_equal(sheet, again)


def test_first_column_is_the_original_and_disabled_copies_match(tmp_path):
    images = _images()
    sheet = np.asarray(Image.open(augment_preview(images, AugmentConfig(), tmp_path / "p.png", n=2, copies=2)))
    tile = lambda r, c: sheet[GAP + r * (12 + GAP):][:12, GAP + c * (10 + GAP):][:, :10]
    for r in range(2):
        assert all(np.array_equal(tile(r, c), images[r]) for c in range(3))


def test_bad_images_raise(tmp_path):
    with pytest.raises(ToonlabError, match="Received"):
        augment_preview(np.zeros((2, 8, 8), np.uint8), AugmentConfig(), tmp_path / "p.png")

import numpy as np
import pytest
from PIL import Image

from toonlab.data.samples import TaskSpec
from toonlab.explain.panels import normalise_map, panel, prediction_title


def test_panel_writes_a_png_with_the_image_and_one_overlay_per_method(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    maps = {"saliency": np.random.default_rng(1).random((16, 16)), "gradcam": np.zeros((4, 4))}
    path = panel(tmp_path / "face" / "hair.png", image, maps, title="hair: predicted a (0.90) · true b")
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > 2 * im.height  # three panes side by side


def test_maps_are_scaled_by_their_99th_percentile():
    amap = np.arange(100, dtype=np.float32).reshape(10, 10)
    norm = normalise_map(-amap)
    assert norm.max() == 1.0 and norm[0, 0] == 0.0
    assert norm[5, 0] == pytest.approx(50 / np.percentile(amap, 99))
    assert (normalise_map(np.zeros((3, 3))) == 0).all()


def test_titles_give_the_prediction_its_probability_and_the_truth():
    spec = TaskSpec("hair", classes=("black", "brown"))
    assert prediction_title("hair", spec, np.array([0.2, 0.8]), 0.0) == "hair: predicted brown (0.80) · true black"
    assert prediction_title("hair", spec, np.array([0.7, 0.3]), float("nan")).endswith("true ?")
    age = TaskSpec("age", kind="regression")
    assert prediction_title("age", age, np.float32(31.25), 30.0) == "age: predicted 31.2 · true 30"
    assert prediction_title("age", age, np.float32(3.0), None) == "age: predicted 3 · true ?"

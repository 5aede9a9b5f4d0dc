import csv
import gc
import weakref

import numpy as np
import pytest
from PIL import Image

from toonlab.evaluate.confusion import confusion_matrix, plot_confusion, row_normalise, write_confusion_csv
from toonlab.evaluate.plots import new_figure


def test_hand_made_matrix_skips_unlabelled():
    y_true = np.array([0, 0, 1, 2, 2, 2, -1])
    y_pred = np.array([0, 1, 1, 2, 0, 2, 1])
    m = confusion_matrix(y_true, y_pred, 3)
    assert m.dtype == np.int64 and m.shape == (3, 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_matches_brute_force_loop():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), np.int64)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 7), expected)


def test_out_of_range_index_is_a_readable_error():
    with pytest.raises(ValueError, match="y_pred.*Received: y_pred containing 3"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)


def test_row_normalise_leaves_empty_rows_at_zero():
    np.testing.assert_allclose(row_normalise(np.array([[3, 1], [0, 0]])), [[0.75, 0.25], [0, 0]])


def test_csv_round_trip(tmp_path):
    classes = ["real", "comic", "a,b"]
    m = np.arange(9).reshape(3, 3)
    path = write_confusion_csv(tmp_path / "sub" / "c.csv", m, classes)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["true\\pred", *classes]
    assert [r[0] for r in rows[1:]] == classes
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], dtype=int), m)


def test_csv_rejects_mismatched_classes(tmp_path):
    with pytest.raises(ValueError, match="Received: matrix of shape"):
        write_confusion_csv(tmp_path / "c.csv", np.zeros((2, 2)), ["a", "b", "c"])


@pytest.mark.parametrize("k", [2, 18, 111])
def test_png_is_valid_for_small_and_large_k(tmp_path, k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 20 * k)
    pred = np.where(rng.random(len(y)) < 0.7, y, rng.integers(0, k, len(y)))
    classes = [f"class_{i}_with_a_long_name" for i in range(k)]
    path = plot_confusion(tmp_path / f"k{k}.png", confusion_matrix(y, pred, k), classes, title=f"K={k}")
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG"
        width, height = im.size
    assert 250 <= width <= 3000 and 250 <= height <= 3000
    if k == 111:
        assert width >= 1000  # room for 111 rows


def test_repeated_plots_leave_no_figures_alive(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    import toonlab.evaluate.confusion as confusion

    made = []

    def tracked(*args):
        fig = new_figure(*args)
        made.append(weakref.ref(fig))
        return fig

    monkeypatch.setattr(confusion, "new_figure", tracked)
    before = len(plt.get_fignums())
    for i in range(3):
        plot_confusion(tmp_path / f"{i}.png", np.eye(3, dtype=int), ["a", "b", "c"], title=str(i))
    gc.collect()
    assert len(made) == 3 and all(ref() is None for ref in made)
    assert len(plt.get_fignums()) == before

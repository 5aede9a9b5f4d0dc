import numpy as np
import pytest
from PIL import Image

from toonlab.evaluate.plots import new_figure, plot_regression, save_figure


def _assert_png(path):
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert 200 <= im.size[0] <= 2000 and 200 <= im.size[1] <= 2000


@pytest.mark.parametrize("n", [1, 5000])
def test_regression_scatter_png(tmp_path, n):
    rng = np.random.default_rng(n)
    y = rng.uniform(0, 80, n)
    path = plot_regression(tmp_path / f"age{n}.png", y, y + rng.normal(0, 3, n), task="age", unit="years")
    _assert_png(path)


def test_regression_nan_excluded_and_all_nan_still_writes(tmp_path):
    y_true = np.array([1.0, np.nan, 3.0])
    _assert_png(plot_regression(tmp_path / "a.png", y_true, np.array([1.0, 50.0, 2.0]), task="t"))
    _assert_png(plot_regression(tmp_path / "b.png", np.array([np.nan]), np.array([1.0]), task="t"))


def test_regression_title_has_mae(tmp_path, monkeypatch):
    import toonlab.evaluate.plots as plots

    titles = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: titles.append(fig.axes[0].get_title()))
    plots.plot_regression(tmp_path / "x.png", np.array([0.0, 2.0, np.nan]), np.array([1.0, 4.0, 9.0]), task="age", unit="years")
    assert titles == ["age: MAE 1.5 years (n=2)"]


def test_length_mismatch_is_a_readable_error(tmp_path):
    with pytest.raises(ValueError, match="Received: len"):
        plot_regression(tmp_path / "x.png", np.zeros(2), np.zeros(3), task="t")


def test_save_figure_creates_folders(tmp_path):
    fig = new_figure(3, 3)
    fig.add_subplot().plot([0, 1])
    _assert_png(save_figure(fig, tmp_path / "a" / "b" / "fig.png"))

"""The inline SVG charts: the accuracy bar chart and the learning-curve panel."""

import math
import re

from toonlab.report.charts import Bar, _ticks, accuracy_bars, line_panel, scatter_panel


def test_one_bar_and_one_baseline_tick_per_task():
    svg = accuracy_bars([Bar("hair", 0.82, 0.40), Bar("eye<s>", 0.35, 0.50, below=True), Bar("chin", 1.0, 0.9)])
    assert svg.startswith("<svg") and svg.count('class="bar acc"') == 3 and svg.count('class="baseline"') == 3
    assert "eye&lt;s&gt;" in svg and "<s>" not in svg  # task names are escaped
    assert "test accuracy (%)" in svg and "majority-class baseline" in svg and "not above its baseline" in svg
    assert 'class="bar drawn"' not in svg and "accuracy where drawn" not in svg  # no legend for what is not drawn
    widths = [float(w) for w in re.findall(r'class="bar acc" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[2] == 520 and math.isclose(widths[0], 0.82 * 520, abs_tol=0.1)  # 100% is the full plot width


def test_where_drawn_bars_and_std_whiskers_when_the_metrics_have_them():
    svg = accuracy_bars([Bar("hair", 0.8, 0.4, drawn=0.9, std=0.05), Bar("glasses", 0.7, 0.6)],
                        axis="mean test accuracy over 2 folds (%)")
    assert svg.count('class="bar drawn"') == 1 and svg.count('class="std"') == 1
    assert "accuracy where drawn" in svg and "± 1 std" in svg and "mean test accuracy over 2 folds (%)" in svg
    assert "hair: accuracy 80.0% ± 5.0%, baseline 40.0%, where drawn 90.0%" in svg  # the bar's tooltip


def test_line_panel_has_title_axis_labels_ticks_and_legend():
    epochs = [1.0, 2.0, 3.0, 4.0, 5.0]
    series = {"train": (epochs, [0.5, 0.6, 0.7, 0.8, 0.8]), "val": (epochs, [0.4, 0.45, math.nan, 0.5, 0.55])}
    svg = line_panel("hair · accuracy", series, ylabel="accuracy (%)", percent=True)
    assert "hair · accuracy" in svg and ">epoch</text>" in svg and ">accuracy (%)</text>" in svg
    assert ">train</text>" in svg and ">val</text>" in svg
    assert svg.count("<polyline") == 3  # train, and val broken in two by the missing epoch 3
    assert svg.count("<circle") == 9  # a dot per finite point (few epochs)
    assert ">80</text>" in svg and ">0.8</text>" not in svg  # fractions shown as percentages


def test_ticks_are_round_and_cover_the_range():
    assert _ticks(1, 3, integer=True) == [1, 2, 3]
    assert _ticks(0.23, 0.71) == [0.2, 0.4, 0.6, 0.8]
    assert _ticks(1.4, 1.8) == [1.4, 1.5, 1.6, 1.7, 1.8]
    assert _ticks(31, 97, clip=(0, 100)) == [20, 40, 60, 80, 100]
    flat = _ticks(1.0, 1.0, integer=True)  # one epoch
    assert flat[0] < 1 < flat[-1]


def test_scatter_panel_draws_one_dot_per_finite_pair_and_the_identity_line():
    svg = scatter_panel("age · MAE 1.5", [1.0, 2.0, math.nan, 4.0], [1.5, 2.5, 3.0, math.inf])
    assert svg.count("<circle") == 2 and svg.count('class="identity"') == 1  # NaN / inf pairs are left out
    assert "age · MAE 1.5" in svg and ">true<" in svg and ">predicted<" in svg and "2 images" in svg
    many = scatter_panel("x", [float(i) for i in range(5000)], [float(i) for i in range(5000)], max_points=1000)
    assert many.count("<circle") == 1000  # an even subsample keeps the page small

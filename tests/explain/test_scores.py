import csv

import numpy as np
import pytest

from toonlab.errors import ToonlabError
from toonlab.explain.scores import (chance, format_scores, mass_inside, pointing_hit, score_image, score_table,
                                    write_scores_csv)

MASK = np.array([[True, True, False, False],
                 [False, False, False, False]])  # 2 of 8 pixels: chance 0.25


def test_mass_inside_is_the_share_of_absolute_attribution_in_the_region():
    amap = np.array([[1.0, -2.0, 3.0, 0.0],
                     [0.0, 0.0, -4.0, 0.0]])  # |a| = 10 in all, 3 inside
    assert mass_inside(amap, MASK) == pytest.approx(0.3)


def test_chance_is_the_area_fraction_and_what_a_uniform_map_scores():
    assert chance(MASK) == 0.25
    assert mass_inside(np.full(MASK.shape, 7.0), MASK) == pytest.approx(chance(MASK))
    assert mass_inside(np.zeros(MASK.shape), MASK) == 0.25  # an all-zero map says nothing: scored as uniform


def test_pointing_hit_is_whether_the_largest_pixel_is_inside():
    assert pointing_hit(np.array([[0, 5, 0, 0], [0, 0, 1, 0]]), MASK) == 1.0
    assert pointing_hit(np.array([[0, 5, 0, 0], [0, 0, -6, 0]]), MASK) == 0.0  # absolute values count


def test_pointing_ties_score_the_share_of_tied_pixels_inside():
    tie = np.array([[2.0, 0, 2.0, 0], [0, 2.0, 0, 2.0]])  # 4 tied maxima, 1 inside
    assert pointing_hit(tie, MASK) == 0.25
    assert pointing_hit(np.ones(MASK.shape), MASK) == chance(MASK)


def test_an_empty_region_is_not_scored():
    assert score_image(np.ones((2, 4)), np.zeros((2, 4), bool)) is None
    assert score_image(np.ones((2, 4)), MASK) == {"mass": 0.25, "chance": 0.25, "hit": 0.25}


def test_score_table_means_per_task_and_method_and_drops_empty_regions():
    rows = [
        {"task": "eye", "method": "saliency", "mass": 0.6, "chance": 0.1, "hit": 1.0},
        {"task": "eye", "method": "saliency", "mass": 0.2, "chance": 0.3, "hit": 0.0},
        {"task": "eye", "method": "gradcam", "mass": 0.5, "chance": 0.2, "hit": 0.5},
        {"task": "glasses", "method": "saliency", "mass": 0.9, "chance": 0.0, "hit": 1.0},  # no glasses drawn
        None,
    ]
    table = score_table(rows)
    assert [(r["task"], r["method"], r["n"]) for r in table] == [("eye", "saliency", 2), ("eye", "gradcam", 1)]
    sal = table[0]
    assert sal["mass"] == pytest.approx(0.4) and sal["chance"] == pytest.approx(0.2)
    assert sal["ratio"] == pytest.approx(2.0) and sal["hit_rate"] == pytest.approx(0.5)


def test_scores_csv_and_text_table(tmp_path):
    table = [{"task": "eye_color", "method": "gradcam", "mass": 0.41, "chance": 0.05, "ratio": 8.2,
              "hit_rate": 0.9, "n": 200}]
    path = write_scores_csv(tmp_path / "explain" / "scores.csv", table)
    rows = list(csv.DictReader(path.open()))
    assert rows == [{"task": "eye_color", "method": "gradcam", "mass": "0.4100", "chance": "0.0500",
                     "ratio": "8.2000", "hit_rate": "0.9000", "n": "200"}]
    text = format_scores(table)
    assert "eye_color" in text and "8.20" in text and "200" in text
    assert "nothing was scored" in format_scores([])


def test_a_map_and_mask_of_different_shapes_is_refused():
    with pytest.raises(ToonlabError, match=r"same shape. Received: map \(3, 3\), mask \(2, 4\)"):
        mass_inside(np.ones((3, 3)), MASK)

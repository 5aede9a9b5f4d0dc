"""Confident learning on hand-made probabilities: thresholds, flags, suggestions and ranks are exact."""

from __future__ import annotations

import numpy as np
import pytest

from toonlab.audit.confident import class_thresholds, find_label_issues

# Rows given class 0: 0, 1, 5; class 1: 2, 3, 4, 8; class 2: 6, 7; row 9 has no label.
PROBS = np.array([
    [0.90, 0.10, 0.00],  # 0: a clean 0
    [0.70, 0.30, 0.00],  # 1: a clean 0
    [0.00, 1.00, 0.00],  # 2: a clean 1
    [0.40, 0.60, 0.00],  # 3: a clean 1
    [0.50, 0.40, 0.10],  # 4: given 1, class 0 beats it but stays under class 0's threshold: not flagged
    [0.15, 0.00, 0.85],  # 5: given 0, clearly a 2: flagged first (margin 0.70)
    [0.00, 0.10, 0.90],  # 6: a clean 2
    [0.10, 0.20, 0.70],  # 7: a clean 2
    [0.65, 0.35, 0.00],  # 8: given 1, class 0 clears its threshold: flagged second (margin 0.30)
    [1.00, 0.00, 0.00],  # 9: no label: never flagged, not in any threshold
])
GIVEN = np.array([0, 0, 1, 1, 1, 0, 2, 2, 1, -1])


def test_thresholds_are_the_mean_self_confidence_per_given_class():
    t = class_thresholds(PROBS, GIVEN)
    assert t == pytest.approx([(0.90 + 0.70 + 0.15) / 3, (1.00 + 0.60 + 0.40 + 0.35) / 4, (0.90 + 0.70) / 2])


def test_flags_suggestions_and_ranking_are_exact():
    found = find_label_issues(PROBS, GIVEN)
    assert found.rows.tolist() == [5, 8]
    assert found.given.tolist() == [0, 1]
    assert found.suggested.tolist() == [2, 0]
    assert found.confidence.tolist() == pytest.approx([0.85, 0.65])
    assert found.given_probability.tolist() == pytest.approx([0.15, 0.35])


def test_the_most_probable_of_several_clearing_classes_is_suggested():
    probs = np.array([[0.2, 0.4, 0.4], [0.2, 0.4, 0.4], [0.05, 0.45, 0.5]])
    found = find_label_issues(probs, np.array([1, 2, 0]))  # thresholds 0.05, 0.4, 0.4: both 1 and 2 clear row 2
    assert found.rows.tolist() == [2]
    assert found.suggested.tolist() == [2]


def test_a_class_given_to_no_image_is_never_suggested():
    probs = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.0, 0.05, 0.95]])
    found = find_label_issues(probs, np.array([0, 0, 0]))
    assert np.isnan(class_thresholds(probs, np.array([0, 0, 0]))[2])
    assert len(found) == 0


def test_equal_margins_rank_the_less_self_confident_first():
    clean = [[0.5, 0.25, 0.25]] * 5 + [[0.25, 0.5, 0.25]] * 5
    probs = np.array([*clean, [0.25, 0.625, 0.125], [0.5, 0.125, 0.375]])  # both margins 0.375 (exact in binary)
    found = find_label_issues(probs, np.array([0] * 5 + [1] * 5 + [0, 1]))
    assert found.rows.tolist() == [11, 10]
    assert found.suggested.tolist() == [0, 1]


@pytest.mark.parametrize("probs, given", [(np.ones((3, 2)) / 2, np.array([0, 1])), (np.ones((2, 2)) / 2, np.array([0, 2]))])
def test_bad_shapes_and_labels_are_refused(probs, given):
    with pytest.raises(ValueError, match="Received"):
        find_label_issues(probs, given)


def test_the_estimated_noise_sets_how_many_are_flagged_so_flips_under_the_threshold_are_found_too():
    clean0, sure_flip, soft_flip, clean1 = [0.95, 0.05], [0.05, 0.95], [0.3, 0.7], [0.05, 0.95]
    probs = np.array([clean0] * 5 + [sure_flip] * 2 + [soft_flip] * 3 + [clean1] * 5)
    given = np.array([0] * 10 + [1] * 5)
    # class 1's threshold is 0.95: the soft flips (0.7) never clear it, but the joint counts 2 of the 7
    # counted images given 0 as 1s, so 2/7 x 10 = 2.9 -> 3 of the 10 are flagged, by margin
    found = find_label_issues(probs, given)
    assert sorted(found.rows.tolist()[:2]) == [5, 6] and found.rows.tolist()[2] in (7, 8, 9)
    assert found.suggested.tolist() == [1, 1, 1]

import numpy as np

from toonlab.data.samples import TaskSpec
from toonlab.evaluate.metrics import macro_f1, majority_classes, mean_accuracy, regression_metrics, task_metrics
from toonlab.evaluate.table import format_metrics

SPEC = TaskSpec("glasses_color", classes=("a", "b", "c"))


def test_accuracy_baseline_and_visible_only():
    probs = np.eye(3)[[0, 1, 2, 2]]  # predicts 0, 1, 2, 2
    labels = np.array([0, 1, 1, 2])
    hidden = np.array([False, False, True, False])
    m = task_metrics(probs, labels, hidden, SPEC, majority=1)
    assert m["accuracy"] == 0.75 and m["n_test"] == 4
    assert m["baseline_accuracy"] == 0.5
    assert m["accuracy_visible"] == 1.0 and m["n_visible"] == 3 and m["drawn_fraction"] == 0.75


def test_accuracy_where_drawn_and_drawn_share_count_only_labelled_images():
    probs = np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]  # predicts 0 1 2 0 1 2 0 1
    labels = np.array([0, 1, 0, 0, 2, np.nan, 1, 1])  # right: rows 0, 1, 3, 7; row 5 has no label
    hidden = np.array([False, False, True, False, True, True, False, False])
    m = task_metrics(probs, labels, hidden, SPEC, majority=0)
    assert m["accuracy"] == 4 / 7 and m["n_test"] == 7
    # drawn and labelled: rows 0, 1, 3, 6, 7 -> right 0, 1, 3, 7
    assert m["accuracy_visible"] == 4 / 5 and m["n_visible"] == 5 and m["drawn_fraction"] == 5 / 7


def test_a_task_never_drawn_has_no_accuracy_where_drawn():
    m = task_metrics(np.eye(3)[[0, 1]], np.array([0, 1.0]), np.ones(2, bool), SPEC, majority=0)
    assert np.isnan(m["accuracy_visible"]) and m["n_visible"] == 0 and m["drawn_fraction"] == 0.0


def test_unlabelled_rows_are_excluded_and_no_visible_key_without_hidden():
    m = task_metrics(np.eye(3)[[0, 0]], np.array([0, np.nan]), np.zeros(2, bool), SPEC, majority=0)
    assert m["accuracy"] == 1.0 and m["n_test"] == 1 and "accuracy_visible" not in m
    assert "drawn_fraction" not in m


def test_majority_classes_and_mean():
    labels = np.array([[2, 0], [2, 1], [1, 1], [np.nan, 1]])
    tasks = {"a": SPEC, "b": TaskSpec("b", classes=("x", "y"))}
    assert majority_classes(labels, tasks) == {"a": 2, "b": 1}
    assert mean_accuracy({"a": {"kind": "classification", "accuracy": 0.5},
                          "b": {"kind": "classification", "accuracy": 1.0}}) == 0.75


def test_table_lists_every_task_and_a_mean():
    m = {"tasks": {t: {"num_classes": 3, "accuracy": 0.5, "baseline_accuracy": 0.3, "n_test": 9} for t in "ab"}}
    lines = format_metrics(m).splitlines()
    assert lines[0].split()[:2] == ["task", "classes"]
    assert [line.split()[0] for line in lines[2:]] == ["a", "b", "mean"]
    assert "50.00%" in lines[2]


def test_where_drawn_columns_only_when_some_task_has_labels_not_drawn():
    m = {"tasks": {t: {"num_classes": 3, "accuracy": 0.5, "baseline_accuracy": 0.3, "n_test": 9} for t in "ab"}}
    assert "drawn" not in format_metrics(m)
    assert format_metrics(m).splitlines()[-1].split() == ["mean", "50.00%", "30.00%"]
    m["tasks"]["a"].update(accuracy_visible=1.0, drawn_fraction=0.25)
    lines = format_metrics(m).splitlines()
    assert lines[0].split() == ["task", "classes", "test", "acc", "acc", "where", "drawn", "drawn", "macro-F1",
                                "baseline", "n", "test"]
    assert lines[2].split() == ["a", "3", "50.00%", "100.00%", "25.0%", "n/a", "30.00%", "9"]
    assert lines[3].split() == ["b", "3", "50.00%", "n/a", "30.00%", "9"]  # every label of b is drawn: blank
    assert lines[-1].split() == ["mean", "50.00%", "75.00%", "30.00%"]


def test_regression_tasks_get_their_own_table_and_mistake_summaries_are_printed():
    m = {"tasks": {"sex": {"kind": "classification", "num_classes": 2, "accuracy": 0.9, "macro_f1": 0.88,
                           "baseline_accuracy": 0.5, "n_test": 10,
                           "mistakes": {"summary": "misclassified 1 of 10: 1 'f' as 'm'"}},
                   "age": {"kind": "regression", "mae": 3.5, "rmse": 4.25, "mape": 0.05, "baseline_mae": 9.0,
                           "n_test": 10}}}
    text = format_metrics(m)
    assert "regression task" in text and "3.5" in text and "5.00%" in text and "88.00%" in text
    assert text.endswith("sex: misclassified 1 of 10: 1 'f' as 'm'")


def test_macro_f1_matches_hand_computation():
    y, pred = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    # class 0: tp1 fp1 fn1 -> 0.5; class 1: tp2 fp1 fn0 -> 0.8; class 2: tp0 -> 0
    assert abs(macro_f1(y, pred, 3) - (0.5 + 0.8 + 0.0) / 3) < 1e-12
    assert macro_f1(y, y, 5) == 1.0  # classes absent from both are not averaged in


def test_classification_metrics_include_macro_f1_and_its_baseline():
    m = task_metrics(np.eye(3)[[0, 1, 2, 2]], np.array([0, 1, 1, 2.0]), np.zeros(4, bool), SPEC, majority=1)
    assert 0 < m["macro_f1"] < 1 and 0 < m["baseline_macro_f1"] < m["macro_f1"]


def test_regression_metrics_and_mean_baseline():
    spec = TaskSpec("age", "regression", center=50.0)
    m = regression_metrics(np.array([48.0, 62.0, 0.0]), np.array([50.0, 60.0, np.nan]), spec)
    assert m["mae"] == 2.0 and m["rmse"] == 2.0 and m["n_test"] == 2
    assert abs(m["mape"] - (2 / 50 + 2 / 60) / 2) < 1e-12
    assert m["baseline_mae"] == 5.0
    assert np.isnan(regression_metrics(np.zeros(1), np.array([np.nan]), spec)["mae"])


def test_beats_baseline_is_in_every_tasks_metrics():
    labels, hidden = np.array([0, 1, 1, 2.0]), np.zeros(4, bool)
    good = task_metrics(np.eye(3)[[0, 1, 1, 2]], labels, hidden, SPEC, majority=1)
    tie = task_metrics(np.eye(3)[[1, 1, 1, 1]], labels, hidden, SPEC, majority=1)  # the baseline itself: 50 %
    assert good["beats_baseline"] is True and tie["beats_baseline"] is False
    age = TaskSpec("age", "regression", center=50.0)
    assert regression_metrics(np.array([49.0, 61.0]), np.array([50.0, 60.0]), age)["beats_baseline"] is True
    assert regression_metrics(np.array([40.0, 70.0]), np.array([50.0, 60.0]), age)["beats_baseline"] is False
    assert task_metrics(np.zeros((0, 3)), np.zeros(0), np.zeros(0, bool), SPEC, majority=0)["beats_baseline"] is None


def test_the_table_marks_a_task_at_or_below_its_baseline_with_a_footnote():
    m = {"tasks": {"a": {"num_classes": 3, "accuracy": 0.9, "baseline_accuracy": 0.3, "n_test": 9},
                   "b": {"num_classes": 2, "accuracy": 0.6, "baseline_accuracy": 0.6, "n_test": 9},
                   "age": {"kind": "regression", "mae": 9.5, "rmse": 11.0, "mape": 0.2, "baseline_mae": 9.0,
                           "n_test": 9}}}
    lines = format_metrics(m).splitlines()
    assert lines[2].split()[0] == "a" and not lines[2].endswith("≤ baseline")
    assert lines[3].split()[0] == "b" and lines[3].endswith("≤ baseline")
    assert lines[4].split()[0] == "mean" and not lines[4].endswith("≤ baseline")
    assert lines[-3].startswith("age") and lines[-3].endswith("≤ baseline")
    assert lines[-1].startswith("≤ baseline: on the test split, b, age did no better than always predicting")
    assert "≤ baseline" not in format_metrics({"tasks": {"a": m["tasks"]["a"]}})

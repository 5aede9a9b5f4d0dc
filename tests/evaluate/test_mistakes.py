import csv

import numpy as np
import pytest

from toonlab.evaluate.mistakes import confident_mistakes, regression_errors, write_mistakes_csv

CLASSES = ["real", "comic"]


def _probs(pred, conf):
    """(N, 2) probabilities predicting ``pred`` with probability ``conf``."""
    p = np.zeros((len(pred), 2))
    p[np.arange(len(pred)), pred] = conf
    p[np.arange(len(pred)), 1 - np.asarray(pred)] = 1 - np.asarray(conf)
    return p


def test_mistakes_ordered_by_confidence_with_count_and_summary():
    files = [f"{i}.png" for i in range(6)]
    y_true = np.array([1, 1, 0, 0, 1, -1])
    pred = np.array([0, 0, 1, 0, 1, 0])
    probs = _probs(pred, [0.6, 0.95, 0.8, 0.9, 0.7, 0.99])
    out = confident_mistakes(files, y_true, probs, CLASSES)
    assert out["count"] == 3 and out["total"] == 5
    assert [e["file"] for e in out["examples"]] == ["1.png", "2.png", "0.png"]
    assert out["examples"][0] == {"file": "1.png", "true": "comic", "pred": "real", "confidence": 0.95}
    assert out["summary"] == "misclassified 3 of 5: 2 'comic' as 'real', 1 'real' as 'comic'"


def test_unlabelled_excluded_and_top_limits_examples():
    y_true = np.array([-1, -1, 0, 0])
    probs = _probs(np.array([1, 1, 1, 1]), [0.9] * 4)
    out = confident_mistakes(["a", "b", "c", "d"], y_true, probs, CLASSES, top=1)
    assert out["count"] == 2 and out["total"] == 2
    assert [e["file"] for e in out["examples"]] == ["c"]


def test_no_mistakes_summary():
    out = confident_mistakes(["a"], np.array([0]), _probs(np.array([0]), [0.9]), CLASSES)
    assert out == {"count": 0, "total": 1, "summary": "misclassified 0 of 1", "examples": []}


def test_summary_lists_at_most_five_pairs():
    k = 4
    classes = [f"c{i}" for i in range(k)]
    pairs = [(t, p) for t in range(k) for p in range(k) if t != p]  # 12 distinct mistakes
    y_true = np.array([t for t, _ in pairs] + [0])
    pred = np.array([p for _, p in pairs] + [1])  # (0 -> 1) twice
    out = confident_mistakes([str(i) for i in range(len(y_true))], y_true, np.eye(k)[pred], classes)
    assert out["summary"].startswith("misclassified 13 of 13: 2 'c0' as 'c1', 1 'c0' as 'c2'")
    assert out["summary"].count(" as ") == 5
    assert out["summary"].endswith("7 more in 7 other pairs")


def test_shape_mismatch_is_a_readable_error():
    with pytest.raises(ValueError, match="Received: len"):
        confident_mistakes(["a"], np.array([0, 1]), np.zeros((2, 2)), CLASSES)


def test_regression_errors_largest_first_and_nan_excluded():
    files = ["a", "b", "c", "d"]
    y_true = np.array([10.0, np.nan, 30.0, 40.0])
    y_pred = np.array([12.0, 100.0, 20.0, 40.5])
    out = regression_errors(files, y_true, y_pred, top=2)
    assert out["count"] == 3
    assert out["examples"] == [
        {"file": "c", "true": 30.0, "pred": 20.0, "error": -10.0},
        {"file": "a", "true": 10.0, "pred": 12.0, "error": 2.0},
    ]


def test_write_mistakes_csv_round_trip(tmp_path):
    out = confident_mistakes(["x/1.png", "x/2.png"], np.array([0, 1]), _probs(np.array([1, 0]), [0.75, 0.5]), CLASSES)
    path = write_mistakes_csv(tmp_path / "m" / "mistakes.csv", out["examples"])
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {"file": "x/1.png", "true": "real", "pred": "comic", "confidence": "0.75"},
        {"file": "x/2.png", "true": "comic", "pred": "real", "confidence": "0.5"},
    ]
    empty = write_mistakes_csv(tmp_path / "empty.csv", [])
    assert empty.read_text().strip() == "file,true,pred"

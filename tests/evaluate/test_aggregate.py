"""Mean ± std over k-fold / repeated-seed members, with the baseline flag of the means."""

from toonlab.evaluate.aggregate import aggregate


def _member(acc, base, mae, base_mae):
    return {"tasks": {"a": {"kind": "classification", "accuracy": acc, "baseline_accuracy": base},
                      "r": {"kind": "regression", "mae": mae, "baseline_mae": base_mae}}, "mean_accuracy": acc}


def test_beats_baseline_compares_the_means():
    summary = aggregate({"fold-1": _member(0.8, 0.5, 3.0, 2.0), "fold-2": _member(0.6, 0.5, 1.0, 2.5)}, kind="folds")
    assert summary["tasks"]["a"]["beats_baseline"] is True and summary["tasks"]["r"]["beats_baseline"] is True
    summary = aggregate({"seed-0": _member(0.5, 0.5, 3.0, 2.0), "seed-1": _member(0.4, 0.5, 2.0, 2.0)}, kind="repeats")
    assert summary["tasks"]["a"]["beats_baseline"] is False and summary["tasks"]["r"]["beats_baseline"] is False

"""Confident learning: which given labels the out-of-fold probabilities contradict, most likely first.

The idea (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels",
JAIR 2021), written here from the paper: a model that never saw an image during training gives it
class probabilities ``p``. Class ``j``'s threshold ``t_j`` is the mean probability of ``j`` over the
images *given* ``j`` (its mean self-confidence), so a class the model is shy about gets a low bar. An
image given class ``i`` is flagged when another class ``j`` clears its threshold (``p_j >= t_j``) and
beats the given class (``p_j > p_i``); the suggested label is the most probable such ``j``. Flags are
ranked by the margin ``p_j - p_i``, largest first (ties: lower given-class probability first).

Example:
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.9, 0.1]])
    >>> found = find_label_issues(probs, np.array([0, 0, 1, 1]))
    >>> found.rows.tolist(), found.suggested.tolist()
    ([3], [0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNLABELLED = -1  # given label of an image without a label for the task (or one that is not drawn)


@dataclass(frozen=True)
class LabelIssues:
    """The flagged images of one task, most likely label error first.

    Attributes:
        rows: (F,) row indices into the probability array.
        given: (F,) the given class indices.
        suggested: (F,) the suggested class indices.
        confidence: (F,) the probability of the suggested class.
        given_probability: (F,) the probability of the given class.
        thresholds: (K,) each class's threshold (NaN for a class no image is given).
    """

    rows: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    confidence: np.ndarray
    given_probability: np.ndarray
    thresholds: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def class_thresholds(probs: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Per class, the mean probability of that class over the images given it; NaN for a class given to none.

    Example:
        >>> class_thresholds(np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6]]), np.array([0, 0, 1])).tolist()
        [0.8, 0.6]
    """
    probs, given = _check(probs, given)
    k = probs.shape[1]
    labelled = given != UNLABELLED
    counts = np.bincount(given[labelled], minlength=k)
    sums = np.bincount(given[labelled], weights=probs[labelled, given[labelled]], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def find_label_issues(probs: np.ndarray, given: np.ndarray) -> LabelIssues:
    """The images whose given label another class confidently beats, ranked by margin (see the module).

    Args:
        probs: (N, K) out-of-fold class probabilities.
        given: (N,) given class indices; -1 = no label (never flagged, not counted in the thresholds).

    Raises:
        ValueError: the shapes disagree or a label is outside ``[-1, K)``.
    """
    probs, given = _check(probs, given)
    thresholds = class_thresholds(probs, given)
    clears = probs >= np.where(np.isnan(thresholds), np.inf, thresholds)  # a class given to none never clears
    rows = np.flatnonzero(given != UNLABELLED)
    p_given = probs[rows, given[rows]]
    candidates = clears[rows] & (probs[rows] > p_given[:, None])
    scores = np.where(candidates, probs[rows], -np.inf)
    flagged = candidates.any(axis=1)
    rows, p_given, best = rows[flagged], p_given[flagged], scores[flagged].argmax(axis=1)
    confidence = probs[rows, best]
    order = np.lexsort((p_given, -(confidence - p_given)))  # largest margin first, then least self-confident
    return LabelIssues(rows[order], given[rows[order]], best[order], confidence[order], p_given[order], thresholds)


def _check(probs: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=np.float64)
    given = np.asarray(given, dtype=np.int64).ravel()
    if probs.ndim != 2 or len(probs) != len(given):
        raise ValueError(f"find_label_issues: expected probs of shape (N, K) and N given labels. "
                         f"Received: probs.shape={probs.shape}, {len(given)} labels")
    bad = (given < UNLABELLED) | (given >= probs.shape[1])
    if bad.any():
        raise ValueError(f"find_label_issues: given labels must be class indices in [0, {probs.shape[1]}) or -1 "
                         f"for none. Received: {int(given[bad][0])}")
    return probs, given

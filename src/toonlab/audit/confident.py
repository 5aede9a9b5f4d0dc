"""Confident learning: which given labels the out-of-fold probabilities contradict, most likely first.

The method (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels",
JAIR 2021, its "prune by noise rate"), written here from the paper: a model that never saw an image
during training gives it class probabilities ``p``.

1. Class ``j``'s threshold ``t_j`` is the mean probability of ``j`` over the images *given* ``j`` (its
   mean self-confidence), so a class the model is shy about gets a low bar.
2. The *confident joint* counts, per given class ``i``, the images whose most probable class among
   those clearing their threshold is ``j``. Calibrated to the number of images given ``i``, its
   off-diagonal cell ``(i, j)`` estimates how many images given ``i`` are really ``j``.
3. For each such pair that many images given ``i`` are flagged: those where ``p_j - p_i`` is largest,
   and only if ``j`` is more probable than ``i``. The suggested label is ``j``.

So the number of flags follows the estimated noise, and an image whose true class stays just under
its threshold (common with label smoothing, which caps the probabilities) is still found. Flags are
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
    """The images whose given label is most likely wrong, ranked by margin (see the module).

    Args:
        probs: (N, K) out-of-fold class probabilities.
        given: (N,) given class indices; -1 = no label (never flagged, not counted in the thresholds).

    Raises:
        ValueError: the shapes disagree or a label is outside ``[-1, K)``.
    """
    probs, given = _check(probs, given)
    thresholds = class_thresholds(probs, given)
    expected = calibrated_joint(probs, given, thresholds)
    suggested = np.full(len(given), UNLABELLED)
    for i, j in zip(*np.nonzero(expected * (1 - np.eye(len(expected))) >= 0.5)):
        rows = np.flatnonzero(given == i)
        margin = probs[rows, j] - probs[rows, i]
        top = rows[np.argsort(-margin, kind="stable")[: int(np.floor(expected[i, j] + 0.5))]]
        top = top[probs[top, j] > probs[top, i]]
        better = (suggested[top] == UNLABELLED) | (probs[top, j] > probs[top, np.maximum(suggested[top], 0)])
        suggested[top[better]] = j
    rows = np.flatnonzero(suggested != UNLABELLED)
    best, p_given = suggested[rows], probs[rows, given[rows]]
    confidence = probs[rows, best]
    order = np.lexsort((p_given, -(confidence - p_given)))  # largest margin first, then least self-confident
    return LabelIssues(rows[order], given[rows[order]], best[order], confidence[order], p_given[order], thresholds)


def calibrated_joint(probs: np.ndarray, given: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(K, K): cell ``(i, j)`` estimates how many images given ``i`` belong to ``j``.

    Each labelled image counts once, for the most probable class that clears its threshold (not at all
    when none does); each row is then scaled to the number of images given that class.

    Example:
        >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.9, 0.1]])
        >>> given = np.array([0, 0, 1, 1])
        >>> calibrated_joint(probs, given, class_thresholds(probs, given)).tolist()
        [[2.0, 0.0], [1.0, 1.0]]
    """
    k = probs.shape[1]
    rows = np.flatnonzero(given != UNLABELLED)
    clears = probs[rows] >= np.where(np.isnan(thresholds), np.inf, thresholds)  # a class given to none never clears
    counted = clears.any(axis=1)
    likely = np.where(clears, probs[rows], -np.inf).argmax(axis=1)
    joint = np.zeros((k, k))
    np.add.at(joint, (given[rows][counted], likely[counted]), 1.0)
    sizes = np.bincount(given[rows], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(joint / joint.sum(axis=1, keepdims=True) * sizes[:, None])


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

"""Decision cuts over ranked scores: the one sort-and-cumsum that precision-recall curves and
threshold searches share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["score_cuts"]


def score_cuts(
    y_true: Sequence[int] | np.ndarray, y_score: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every cut between distinct scores, highest score first (predict positive when
    ``score >= cut``).

    Returns ``(score, below, tp, n)`` per cut: the lowest score kept positive, the next lower
    distinct score (at the last cut, which keeps everything: its own score), the true positives and
    the predicted positives. A threshold halfway between ``score`` and ``below`` makes the same
    decisions on these scores and generalises to unseen scores in between.

    Examples
    --------
    >>> score, below, tp, n = score_cuts([1, 0, 1, 1], [0.9, 0.6, 0.6, 0.2])
    >>> score.tolist(), below.tolist(), tp.tolist(), n.tolist()
    ([0.9, 0.6, 0.2], [0.6, 0.2, 0.2], [1, 2, 3], [1, 3, 4])
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=float)
    order = np.argsort(-s, kind="mergesort")
    ss, ys = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), len(ss) - 1]
    tp = np.cumsum(ys)[last]
    below = np.r_[ss[last[:-1] + 1], ss[-1]]
    return ss[last], below, tp, last + 1

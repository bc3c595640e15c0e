"""Open-world decisions: frames are rare in real text, and documents are long.

Two problems of a classifier trained on a corpus where most passages carry a frame, used on text
where a few percent do (see issue 11 and the model card):

1. **Passage thresholds** tuned on the training corpus let through a few percent of ordinary
   passages. With ``open_world_fpr`` set, each frame's threshold is raised, if needed, to the
   ``1 - fpr`` quantile of the out-of-fold scores of frame-free *real* passages given at fit
   time (``open_world`` rows), so at most about ``fpr`` of such passages cross it.
2. **Documents.** "Any passage over the threshold" grows with length: with a per-passage false
   positive rate ``q``, a 40-passage article gets a frame by chance with probability
   ``1 - (1 - q)^40``. A document gets a frame only when its passages' scores are improbable for
   a frame-free document of the same length: the number ``k`` of passages over the threshold
   (binomial tail with the measured ``q``), or the highest score (its empirical tail, raised to
   the number of passages), must have a p-value of at most ``document_alpha``. A one-passage
   document is decided exactly like a passage; a long one needs more, or stronger, evidence.

The negatives' scores are stored sorted (``negatives_``, one column per fine label); they are
out-of-fold, so they describe how the final model scores text it has not seen.
"""

from __future__ import annotations

import numpy as np
import scipy.special._ufuncs as _scu

__all__ = ["cap_thresholds", "document_decisions", "negative_scores", "tail"]


def binom_sf(k: int, n: int, p: float) -> float:
    """``scipy.stats.binom.sf(k, n, p)`` for ``0 <= k < n`` and ``0 <= p <= 1``, without importing
    :mod:`scipy.stats` (a third of a second at start-up): the same special function that
    ``binom.sf`` evaluates there, clipped as it clips (tested equal)."""
    sf = getattr(_scu, "_binom_sf", None)
    if sf is None:  # a SciPy that moved it: the public distribution
        from scipy.stats import binom

        return float(binom.sf(k, n, p))
    return float(np.clip(sf(float(k), float(n), float(p)), 0.0, 1.0))


def negative_scores(oof_fine: np.ndarray, Yf: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sorted (ascending, per column) out-of-fold scores of the frame-free rows in ``mask``."""
    rows = np.asarray(mask, dtype=bool) & (Yf.sum(axis=1) == 0)
    return np.sort(oof_fine[rows], axis=0).astype(np.float32)


def tail(neg_col: np.ndarray, s: np.ndarray | float) -> np.ndarray:
    """Share of negatives scoring at least ``s`` (at least ``1 / (N + 1)``: never zero)."""
    n = len(neg_col)
    above = n - np.searchsorted(neg_col, s, side="left")
    return (above + 1.0) / (n + 1.0)


def cap_thresholds(thresholds: np.ndarray, neg: np.ndarray, fpr: float) -> np.ndarray:
    """Raise each threshold to the score that at most ``fpr`` of the negatives reach."""
    if not len(neg):
        return thresholds
    q = np.quantile(neg, 1.0 - fpr, axis=0, method="higher")
    # Just above that negative's score, so that it does not count.
    return np.maximum(thresholds, np.nextafter(q.astype(float), np.inf))


def document_decisions(
    P: np.ndarray, thresholds: np.ndarray, neg: np.ndarray, alpha: float
) -> np.ndarray:
    """Boolean per fine label: does a document whose passages scored ``P`` (n, n_fine) carry it?"""
    n = P.shape[0]
    out = np.zeros(P.shape[1], dtype=bool)
    if not n:
        return out
    over = thresholds <= P
    k = over.sum(axis=0)
    for j in np.flatnonzero(k):
        q_t = float(tail(neg[:, j], thresholds[j]))
        p_count = binom_sf(int(k[j]) - 1, n, q_t)
        q_max = float(tail(neg[:, j], P[:, j].max()))
        p_max = 1.0 - (1.0 - q_max) ** n
        out[j] = min(p_count, p_max) <= alpha
    return out

"""Per-label decision thresholds chosen on out-of-fold scores.

Two objectives: maximise each label's F1, or reach a user-chosen precision with the highest recall.
Thresholds chosen and scored on the same predictions flatter themselves, so next to the in-sample
numbers the gain is also *cross-fitted*: each fold's thresholds are tuned on the other folds' scores
and applied to it, which is what a user can expect on new data of the same kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._internal.ranking import score_cuts
from ._metrics import _prf

__all__ = ["best_threshold", "f1_curve", "tune_thresholds"]

GRID = np.round(np.arange(0.02, 0.99, 0.02), 2)


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and the counts of one label's decisions."""
    tp = int((y & pred).sum())
    fp = int((~y & pred).sum())
    fn = int((y & ~pred).sum())
    p, r, f = (float(v) for v in _prf(tp, fp, fn))
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def f1_curve(
    y_true: Sequence[int], y_score: Sequence[float], thresholds: Sequence[float] = GRID
) -> list[float]:
    """F1 of ``score >= t`` for each threshold ``t``.

    Examples
    --------
    >>> f1_curve([1, 0, 1], [0.9, 0.6, 0.3], [0.5, 0.2])
    [0.5, 0.8]
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(y_score, dtype=float)
    return [_scores(y, s >= t)["f1"] for t in thresholds]


def best_threshold(
    y_true: Sequence[int],
    y_score: Sequence[float],
    objective: str = "f1",
    target_precision: float | None = None,
) -> dict[str, float] | None:
    """The threshold (predict ``score >= threshold``) that maximises F1, or that reaches
    ``target_precision`` with the highest recall (``objective="precision"``).

    Thresholds fall halfway between adjacent distinct scores, so they generalise to unseen scores
    in between; among equally good cuts the one nearest 0.5 wins. ``None`` without positives or
    when the target precision cannot be reached.

    Examples
    --------
    >>> best_threshold([1, 1, 0, 0], [0.9, 0.4, 0.3, 0.1])["threshold"]
    0.35
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(y_score, dtype=float)
    pos = int(y.sum())
    if pos == 0 or not len(y):
        return None
    cut, below, tp, k = score_cuts(y, s)
    prec = tp / k
    f1 = 2 * tp / (k + pos)
    thr = (cut + below) / 2
    if objective == "f1":
        cand = np.flatnonzero(f1 >= f1.max() - 1e-12)
        best = int(cand[np.argmin(np.abs(thr[cand] - 0.5))])
    elif objective == "precision":
        if target_precision is None:
            raise ValueError("objective='precision' needs target_precision")
        ok = np.flatnonzero(prec >= target_precision - 1e-12)
        if not len(ok):
            return None
        best = int(
            ok[np.flatnonzero(tp[ok] == tp[ok].max())[0]]
        )  # highest recall, then highest cut
    else:
        raise ValueError(f"objective must be 'f1' or 'precision', not {objective!r}")
    return {
        "threshold": float(thr[best]),
        "precision": float(prec[best]),
        "recall": float(tp[best] / pos),
        "f1": float(f1[best]),
    }


def _apply(Y: np.ndarray, S: np.ndarray, thr: np.ndarray) -> np.ndarray:
    return thr[None, :] <= S


def _samples_f1(Y: np.ndarray, D: np.ndarray) -> float:
    gy, gd = Y.sum(axis=1), D.sum(axis=1)
    tp = (Y & D).sum(axis=1)
    f = np.where((gy == 0) & (gd == 0), 1.0, 2 * tp / np.maximum(gy + gd, 1))
    return float(f.mean()) if len(f) else 0.0


def _summary(Y: np.ndarray, D: np.ndarray, used: np.ndarray) -> dict[str, float]:
    tp = (Y & D).sum(axis=0)
    fp = (~Y & D).sum(axis=0)
    fn = (Y & ~D).sum(axis=0)
    den = 2 * tp + fp + fn
    f = np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)
    prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
    micro_den = den[used].sum()
    return {
        "f1_macro": float(f[used].mean()) if used.any() else 0.0,
        "f1_micro": float(2 * tp[used].sum() / micro_den) if micro_den else 0.0,
        "f1_samples": _samples_f1(Y, D),
        "precision_macro": float(prec[used].mean()) if used.any() else 0.0,
    }


def tune_thresholds(
    Y: np.ndarray,
    S: np.ndarray,
    labels: Sequence[str],
    objective: str = "f1",
    target_precision: float | None = None,
    folds: Sequence[int] | np.ndarray | None = None,
    base: float = 0.5,
    curves: bool = True,
) -> dict[str, Any]:
    """Per-label thresholds on scores ``S`` for gold ``Y`` (both (n, n_labels)), and their gain.

    Parameters
    ----------
    objective : {"f1", "precision"}
        Maximise each label's F1, or reach ``target_precision`` with the highest recall (labels
        that cannot reach it keep ``base``).
    folds : array of fold ids, optional
        Cross-fitting: thresholds for fold k are tuned on the other folds. Without folds only the
        in-sample (optimistic) result is given.
    base : float
        The global threshold to compare against.

    Returns
    -------
    dict
        ``thresholds`` (label -> tuned on all rows, for use on new data), ``per_label`` (support,
        at ``base``, tuned in-sample, cross-fitted, F1-vs-threshold ``curve`` over ``grid``) and
        ``summary`` (macro/micro/samples F1 at ``base``, tuned and cross-fitted, and the gains).
    """
    Y = np.asarray(Y).astype(bool)
    S = np.asarray(S, dtype=float)
    L = Y.shape[1]
    used = Y.sum(axis=0) > 0
    thr = np.full(L, base)
    per: dict[str, Any] = {}
    unreachable = []
    for j, lab in enumerate(labels):
        if not used[j]:
            continue
        b = best_threshold(Y[:, j], S[:, j], objective, target_precision)
        if b is not None:
            thr[j] = b["threshold"]
        elif objective == "precision":
            unreachable.append(lab)
        row: dict[str, Any] = {
            "support": int(Y[:, j].sum()),
            "at_base": _scores(Y[:, j], S[:, j] >= base),
            "threshold": round(float(thr[j]), 4),
            "tuned": _scores(Y[:, j], S[:, j] >= thr[j]),
        }
        if curves:
            row["curve"] = [round(v, 4) for v in f1_curve(Y[:, j], S[:, j])]
        per[lab] = row
    D_base = base <= S
    D_tuned = _apply(Y, S, thr)
    summary: dict[str, Any] = {
        "base_threshold": base,
        "at_base": _summary(Y, D_base, used),
        "tuned_in_sample": _summary(Y, D_tuned, used),
    }
    if folds is not None:
        folds = np.asarray(folds)
        D_cf = np.zeros_like(Y)
        fold_thr = {}
        for k in np.unique(folds):
            te, tr = folds == k, folds != k
            t_k = np.full(L, base)
            for j in range(L):
                if Y[tr, j].sum() == 0:
                    continue
                b = best_threshold(Y[tr, j], S[tr, j], objective, target_precision)
                if b is not None:
                    t_k[j] = b["threshold"]
            fold_thr[int(k)] = t_k
            D_cf[te] = S[te] >= t_k[None, :]
        for j, lab in enumerate(labels):
            if lab in per:
                per[lab]["cross_fitted"] = _scores(Y[:, j], D_cf[:, j])
                per[lab]["threshold_spread"] = round(
                    float(np.std([t[j] for t in fold_thr.values()])), 4
                )
        summary["cross_fitted"] = _summary(Y, D_cf, used)
    ref = summary.get("cross_fitted", summary["tuned_in_sample"])
    summary["gain"] = {
        k: ref[k] - summary["at_base"][k] for k in ("f1_macro", "f1_micro", "f1_samples")
    }
    summary["gain_basis"] = "cross_fitted" if folds is not None else "in_sample"
    return {
        "objective": objective,
        "target_precision": target_precision,
        "grid": GRID.tolist(),
        "thresholds": {lab: round(float(thr[j]), 4) for j, lab in enumerate(labels) if used[j]},
        "unreachable": unreachable,
        "per_label": per,
        "summary": summary,
    }

"""Pure metric functions over label sets and scores. Every function returns plain numbers or dicts.

Conventions
-----------
* A label set is a list of label ids. An empty set means "no label" (the taxonomy's none label,
  SemEval's ``Other``); callers may also pass the none label explicitly, see :func:`normalise_sets`.
* Set metrics follow the SemEval-2025 Task 10 subtask-2 scorer: per-document F1 between the gold
  and predicted sets, averaged over documents. Gold labels a model cannot predict (unknown to its
  taxonomy, or never seen in training) stay in the gold sets and count as misses.
* Label-wise metrics (per label, micro, macro, Hamming loss) run over a *label space*: the
  taxonomy's labels plus any other label found in gold or predictions (:func:`label_space`). The
  none label is not part of it; :func:`set_scores` reports it separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from .._internal.metrics import set_f1
from .._internal.vocab import FRAMED_STANCES, STANCE_OUTPUTS, STANCES

__all__ = [
    "average_precision",
    "binarize",
    "brier_score",
    "calibration_scores",
    "cooccurrence",
    "expected_calibration_error",
    "f1_per_document",
    "f1_samples",
    "hamming_loss",
    "label_space",
    "micro_macro",
    "normalise_sets",
    "per_label_scores",
    "precision_recall_curve",
    "reliability_bins",
    "set_scores",
    "stance_scores",
    "subset_accuracy",
]

STANCE_GOLD = STANCES
STANCE_PRED = STANCE_OUTPUTS


# ---------------------------------------------------------------------------- label sets
def normalise_sets(
    sets: Iterable[Iterable[str]], none: str | Iterable[str] | None = None
) -> list[list[str]]:
    """Drop the none label(s) and duplicates, keep order: ``["Other"] -> []``, ``["a", "a"] -> ["a"]``.

    ``none`` may be one label or several (e.g. a model's ``none`` and the data's ``Other``).
    """
    drop = {""} | ({none} if isinstance(none, str) else set(none or ()))
    out = []
    for s in sets:
        seen: dict[str, None] = {}
        for lab in s:
            if lab not in drop:
                seen.setdefault(str(lab), None)
        out.append(list(seen))
    return out


def label_space(
    labels: Sequence[str], *set_lists: Iterable[Iterable[str]], none: str | None = None
) -> list[str]:
    """``labels`` followed by every other label found in ``set_lists`` (sorted), none label excluded.

    Examples
    --------
    >>> label_space(["a", "b"], [["c", "a"], []], [["Other"]], none="Other")
    ['a', 'b', 'c']
    """
    known = set(labels)
    extra = {
        lab
        for sets in set_lists
        for s in sets
        for lab in s
        if lab not in known and lab != none and lab != ""
    }
    return list(labels) + sorted(extra)


def binarize(sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """0/1 indicator matrix (n_sets, n_labels); labels outside ``labels`` are ignored."""
    index = {lab: i for i, lab in enumerate(labels)}
    Y = np.zeros((len(sets), len(labels)), dtype=np.int8)
    for r, s in enumerate(sets):
        for lab in s:
            j = index.get(lab)
            if j is not None:
                Y[r, j] = 1
    return Y


def _check_rows(gold: Sequence[Any], pred: Sequence[Any]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predicted rows")


# ----------------------------------------------------------------------- set-based scores
def f1_per_document(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> np.ndarray:
    """F1 between the gold and predicted set of each document: ``2|G∩P| / (|G| + |P|)``.

    Two empty sets agree (1.0). Labels are compared as given: pass sets that either both carry the
    none label or both leave it out (an empty set and ``[none]`` do not match).
    """
    _check_rows(gold, pred)
    out = np.empty(len(gold))
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        out[i] = set_f1(g, p)
    return out


def f1_samples(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> float:
    """SemEval-2025 Task 10 subtask-2 metric: per-document F1 between label sets, averaged.

    Labels the model never saw still count as misses. A document whose gold and predicted sets are
    both empty scores 1 (cannot happen when the none label is a label, as in SemEval).

    Examples
    --------
    >>> f1_samples([["a", "b"], ["Other"]], [["a"], ["Other"]])
    0.8333333333333333
    """
    _check_rows(gold, pred)
    if not len(gold):
        return 0.0
    return float(f1_per_document(gold, pred).mean())


def subset_accuracy(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> float:
    """Share of documents whose predicted set equals the gold set exactly (sklearn's ``accuracy_score``
    on indicator matrices).

    Examples
    --------
    >>> subset_accuracy([["a", "b"], [], ["c"]], [["b", "a"], [], []])
    0.6666666666666666
    """
    _check_rows(gold, pred)
    if not len(gold):
        return 0.0
    return float(np.mean([set(g) == set(p) for g, p in zip(gold, pred, strict=True)]))


def _counts(G: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    G = G.astype(bool)
    P = P.astype(bool)
    return (G & P).sum(axis=0), (~G & P).sum(axis=0), (G & ~P).sum(axis=0)


def _prf(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 per column; 0 where undefined (sklearn's ``zero_division=0``)."""
    tp, fp, fn = (np.asarray(a, dtype=float) for a in (tp, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return p, r, f


def hamming_loss(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], labels: Sequence[str]
) -> float:
    """Share of wrong (document, label) decisions over ``labels`` (sklearn's ``hamming_loss``).

    Examples
    --------
    >>> hamming_loss([["a"], ["b"]], [["a", "b"], []], ["a", "b", "c"])
    0.3333333333333333
    """
    _check_rows(gold, pred)
    if not len(gold) or not len(labels):
        return 0.0
    G, P = binarize(gold, labels), binarize(pred, labels)
    return float((G != P).mean())


def micro_macro(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, float]:
    """Micro and macro F1 over ``labels``; macro averages the labels with support or predictions.

    That is sklearn's ``f1_score(average="macro")`` on indicator columns for the labels that occur
    in gold or predictions, i.e. a label nobody used does not dilute the mean.

    Examples
    --------
    >>> micro_macro([["a"], ["a", "b"]], [["a"], ["c"]], ["a", "b", "c", "d"])
    {'micro': 0.4, 'macro': 0.2222222222222222}
    """
    _check_rows(gold, pred)
    tp, fp, fn = _counts(binarize(gold, labels), binarize(pred, labels))
    den = 2 * tp.sum() + fp.sum() + fn.sum()
    micro = float(2 * tp.sum() / den) if den else 0.0
    used = (tp + fp + fn) > 0
    f = _prf(tp, fp, fn)[2]
    return {"micro": micro, "macro": float(f[used].mean()) if used.any() else 0.0}


# ----------------------------------------------------------------------- ranking scores
def precision_recall_curve(
    y_true: Sequence[int], y_score: Sequence[float]
) -> dict[str, list[float]]:
    """Precision and recall at every distinct score threshold (predict positive when ``score >= t``),
    thresholds in decreasing order: sklearn's ``precision_recall_curve`` without its end point
    (precision 1, recall 0), reversed. Empty lists without a positive."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(y_score, dtype=float)
    if not len(y) or y.sum() == 0:
        return {"precision": [], "recall": [], "thresholds": []}
    precision, recall, thresholds = skm.precision_recall_curve(y, s, drop_intermediate=False)
    return {
        "precision": precision[-2::-1].tolist(),
        "recall": recall[-2::-1].tolist(),
        "thresholds": thresholds[::-1].tolist(),
    }


def average_precision(y_true: Sequence[int], y_score: Sequence[float]) -> float | None:
    """Average precision: ``sum_n (R_n - R_{n-1}) P_n`` over distinct thresholds (sklearn's
    ``average_precision_score``; no interpolation). ``None`` when there is no positive.

    Examples
    --------
    >>> average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    0.8333333333333333
    """
    y = np.asarray(y_true, dtype=int)
    if not len(y) or y.sum() == 0:
        return None
    return float(skm.average_precision_score(y, np.asarray(y_score, dtype=float)))


# -------------------------------------------------------------------------- per label
def per_label_scores(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    scores: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """Precision, recall, F1 (0 where undefined), support, number predicted and, given ``scores``
    (n_documents, n_labels) in ``labels`` order, average precision (``None`` without support).

    Examples
    --------
    >>> per_label_scores([["a"], ["a"], []], [["a"], [], ["a"]], ["a"])["a"]["f1"]
    0.5
    """
    _check_rows(gold, pred)
    G, P = binarize(gold, labels), binarize(pred, labels)
    if len(labels) > 1 and len(G):
        p, r, f, support = skm.precision_recall_fscore_support(G, P, average=None, zero_division=0)
    elif len(labels) and len(G):  # one column reads as a binary target: score its positive class
        p, r, f, support = skm.precision_recall_fscore_support(
            G[:, 0], P[:, 0], labels=[1], average=None, zero_division=0
        )
    else:  # sklearn refuses empty input
        p = r = f = support = np.zeros(len(labels))
    predicted = P.sum(axis=0) if len(G) else np.zeros(len(labels))
    out: dict[str, dict[str, Any]] = {}
    for j, lab in enumerate(labels):
        row: dict[str, Any] = {
            "precision": float(p[j]),
            "recall": float(r[j]),
            "f1": float(f[j]),
            "support": int(support[j]),
            "predicted": int(predicted[j]),
        }
        if scores is not None:
            row["average_precision"] = (
                average_precision(G[:, j], scores[:, j]) if j < scores.shape[1] else None
            )
        out[lab] = row
    return out


def cooccurrence(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], labels: Sequence[str], none: str
) -> dict[str, Any]:
    """Confusion between labels for multi-label data: ``matrix[i][j]`` counts the documents with
    gold label ``i`` and predicted label ``j`` (``none`` row/column: an empty set). The diagonal
    holds true positives; off-diagonal cells show which labels are predicted in place of or next to
    others. ``gold_counts[i]`` is the number of documents with gold label ``i``.

    Examples
    --------
    >>> cooccurrence([["a"], ["a", "b"], []], [["b"], ["a"], ["a"]], ["a", "b"], "none")["matrix"]
    [[1, 1, 0], [1, 0, 0], [1, 0, 0]]
    """
    _check_rows(gold, pred)
    axis = [*labels, none]
    idx = {lab: i for i, lab in enumerate(axis)}
    M = np.zeros((len(axis), len(axis)), dtype=int)
    gold_n = np.zeros(len(axis), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        gi = [idx[x] for x in set(g) if x in idx] or ([idx[none]] if not set(g) - {none} else [])
        pi = [idx[x] for x in set(p) if x in idx] or ([idx[none]] if not set(p) - {none} else [])
        for a in gi:
            gold_n[a] += 1
            for b in pi:
                M[a, b] += 1
    return {"labels": axis, "matrix": M.tolist(), "gold_counts": gold_n.tolist()}


# -------------------------------------------------------------------------------- stance
def stance_scores(gold: Sequence[Any], pred: Sequence[Any]) -> dict[str, Any] | None:
    """Stance accuracy and confusion. ``None`` when no gold stance is known.

    ``accuracy`` is measured on documents whose gold stance is promotes or reports (did the model
    tell promoting from reporting text?); ``accuracy_all`` on every document with a gold stance,
    ``none`` included. ``confusion[g][p]`` counts gold ``g`` predicted as ``p``.

    Examples
    --------
    >>> stance_scores(["promotes", "reports", "none"], ["promotes", "promotes", "none"])["accuracy"]
    0.5
    """
    _check_rows(gold, pred)
    pairs = [(str(g), str(p)) for g, p in zip(gold, pred, strict=True) if g in STANCE_GOLD]
    if not pairs:
        return None
    pred_axis = list(STANCE_PRED) + sorted({p for _, p in pairs} - set(STANCE_PRED))
    M = np.zeros((len(STANCE_GOLD), len(pred_axis)), dtype=int)
    for g, p in pairs:
        M[STANCE_GOLD.index(g), pred_axis.index(p)] += 1
    framed = [(g, p) for g, p in pairs if g in FRAMED_STANCES]
    return {
        "accuracy": float(np.mean([g == p for g, p in framed])) if framed else None,
        "n": len(framed),
        "accuracy_all": float(np.mean([g == p for g, p in pairs])),
        "n_all": len(pairs),
        "confusion": {"gold": list(STANCE_GOLD), "pred": pred_axis, "matrix": M.tolist()},
    }


# --------------------------------------------------------------------------- calibration
def brier_score(y_true: Any, proba: Any) -> float:
    """Mean squared difference between probability and outcome over all cells (sklearn's
    ``brier_score_loss`` on the flattened arrays).

    Examples
    --------
    >>> brier_score([1, 0], [0.8, 0.4])
    0.1
    """
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(proba, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{y.size} outcomes but {p.size} probabilities")
    return float(np.mean((p - y) ** 2)) if y.size else 0.0


def reliability_bins(y_true: Any, proba: Any, n_bins: int = 10) -> list[dict[str, float]]:
    """Equal-width probability bins: count, mean probability and observed positive rate per bin
    (the points of a reliability diagram). A probability of exactly 1 falls in the last bin."""
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.clip(np.asarray(proba, dtype=float).ravel(), 0.0, 1.0)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    out = []
    for k in range(n_bins):
        m = b == k
        n = int(m.sum())
        out.append(
            {
                "low": k / n_bins,
                "high": (k + 1) / n_bins,
                "n": n,
                "mean_proba": float(p[m].mean()) if n else None,
                "positive_rate": float(y[m].mean()) if n else None,
            }
        )
    return out


def expected_calibration_error(y_true: Any, proba: Any, n_bins: int = 10) -> float:
    """ECE: ``sum_b (n_b / N) |positive_rate_b - mean_proba_b|`` over equal-width bins.

    Examples
    --------
    >>> round(expected_calibration_error([1, 0, 1, 0], [0.9, 0.1, 0.7, 0.3], n_bins=2), 6)
    0.2
    """
    bins = reliability_bins(y_true, proba, n_bins)
    total = sum(b["n"] for b in bins)
    if not total:
        return 0.0
    return float(
        sum(b["n"] / total * abs(b["positive_rate"] - b["mean_proba"]) for b in bins if b["n"])
    )


def calibration_scores(Y: np.ndarray, P: np.ndarray, n_bins: int = 10) -> dict[str, Any]:
    """ECE, Brier score and reliability bins over every (document, label) cell, plus the same on
    the cells of labels with support only (rare labels make the all-cell numbers look good)."""
    Y = np.asarray(Y, dtype=float)
    P = np.asarray(P, dtype=float)
    out: dict[str, Any] = {
        "n_cells": int(Y.size),
        "ece": expected_calibration_error(Y, P, n_bins),
        "brier": brier_score(Y, P),
        "bins": reliability_bins(Y, P, n_bins),
    }
    if Y.ndim == 2 and Y.size:
        used = Y.sum(axis=0) > 0
        out["brier_labels_with_support"] = (
            brier_score(Y[:, used], P[:, used]) if used.any() else None
        )
    return out


# ------------------------------------------------------------------------ one level, all
def set_scores(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    none: str,
    scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every set-based metric for one level (fine or coarse).

    ``gold`` and ``pred`` may carry the none label or leave sets empty; both mean "no label".
    ``labels`` is the label space (see :func:`label_space`); ``scores`` (n, len(labels)) adds
    average precision per label and their mean (``map``).
    """
    g, p = normalise_sets(gold, none), normalise_sets(pred, none)
    f1d = f1_per_document(g, p)
    mm = micro_macro(g, p, labels)
    per = per_label_scores(g, p, labels, scores)
    none_row = per_label_scores(
        [[none] if not s else [] for s in g], [[none] if not s else [] for s in p], [none]
    )[none]
    out: dict[str, Any] = {
        "f1_samples": float(f1d.mean()) if len(f1d) else 0.0,
        "f1_samples_std": float(f1d.std()) if len(f1d) else 0.0,
        "f1_micro": mm["micro"],
        "f1_macro": mm["macro"],
        "hamming_loss": hamming_loss(g, p, labels),
        "subset_accuracy": subset_accuracy(g, p),
        "per_label": per,
        "none_label": {"label": none, **none_row},
    }
    if scores is not None:
        aps = [
            v["average_precision"] for v in per.values() if v.get("average_precision") is not None
        ]
        out["map"] = float(np.mean(aps)) if aps else None
    return out

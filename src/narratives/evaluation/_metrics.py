"""Pure metric functions over label sets. Every function returns plain Python numbers or dicts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["binarize", "f1_samples", "per_label_scores", "micro_macro"]


def binarize(sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    Y = np.zeros((len(sets), len(labels)), dtype=np.int8)
    for r, s in enumerate(sets):
        for lab in s:
            if lab in index:
                Y[r, index[lab]] = 1
    return Y


def f1_samples(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """SemEval-2025 Task 10 subtask-2 metric: per-document F1 between label sets, averaged.

    Labels the model never saw still count as misses. A document whose gold and predicted sets are
    both empty scores 1 (cannot happen when the none label is a label, as in SemEval).

    Examples
    --------
    >>> f1_samples([["a", "b"], ["Other"]], [["a"], ["Other"]])
    0.8333333333333333
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predicted rows")
    if not len(gold):
        return 0.0
    scores = []
    for g, p in zip(gold, pred, strict=True):
        g, p = set(g), set(p)
        if not g and not p:
            scores.append(1.0)
            continue
        tp = len(g & p)
        scores.append(2 * tp / (len(g) + len(p)))
    return float(np.mean(scores))


def per_label_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for each label (0 where undefined)."""
    G, P = binarize(gold, labels), binarize(pred, labels)
    out = {}
    for j, lab in enumerate(labels):
        tp = int((G[:, j] & P[:, j]).sum())
        fp = int(((1 - G[:, j]) & P[:, j]).sum())
        fn = int((G[:, j] & (1 - P[:, j])).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn, "predicted": tp + fp}
    return out


def micro_macro(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict[str, float]:
    """Micro and macro F1 over ``labels`` (macro over labels with support or predictions)."""
    G, P = binarize(gold, labels), binarize(pred, labels)
    tp = int((G & P).sum())
    fp = int(((1 - G) & P).sum())
    fn = int((G & (1 - P)).sum())
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    per = per_label_scores(gold, pred, labels)
    used = [v["f1"] for v in per.values() if v["support"] or v["predicted"]]
    return {"micro": micro, "macro": float(np.mean(used)) if used else 0.0}

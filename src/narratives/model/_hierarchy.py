"""Document-level decisions tuned for F1-samples over a two-level taxonomy (SemEval's metric).

Used by :class:`~narratives.model.NarrativeClassifier` with ``threshold_objective="samples_f1"``
(what :func:`narratives.train` picks for document-level data); passage-level models
(``label_f1``) never come here.

The decision turns probabilities (fine labels, coarse labels, the "no label" model) into 0/1 sets:

* per-label thresholds from the out-of-fold search, scaled by ``scale`` (fine) and
  ``coarse_scale`` (coarse; the fine scale in models tuned before it existed);
* a coarse label is decided on its own score or through a decided fine child;
* a gate on the "no label" model clears a text, and ``top1`` gives a text that passes the gate
  but has no label its best fine label.

The tuning objective is the metric as the task scores written predictions: a coarse label
decided without any fine child counts as its ``<coarse>: Other`` fine label when the taxonomy has
one (:func:`narratives.io.semeval_frames`, the rule of ``tag -f semeval`` and ``evaluate``), so
the thresholds are chosen for the sets that are actually scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

__all__ = ["DecisionShape", "apply_decision", "samples_f1", "tune_decision"]

# The grid searched on out-of-fold probabilities.
GATES = tuple(round(float(g), 2) for g in np.arange(0.2, 0.91, 0.05))
SCALES = (0.6, 0.8, 1.0, 1.2, 1.5, 2.0)


class DecisionShape:
    """What the decision needs to know about the label space (built once per classifier)."""

    def __init__(
        self,
        fine_labels: Sequence[str],
        coarse_labels: Sequence[str],
        parents: dict[str, str],
    ):
        cidx = {c: i for i, c in enumerate(coarse_labels)}
        fidx = {f: i for i, f in enumerate(fine_labels)}
        self.nf, self.nc = len(fine_labels), len(coarse_labels)
        self.parent = np.array([cidx[parents[f]] for f in fine_labels], dtype=np.int64)
        # fine column of "<coarse>: Other" per coarse label (-1: none in the taxonomy)
        self.other = np.array([fidx.get(f"{c}: Other", -1) for c in coarse_labels], dtype=np.int64)
        # one-hot fine -> coarse, for "has a decided child"
        self.F2C = csr_matrix(
            (np.ones(self.nf), (np.arange(self.nf), self.parent)), shape=(self.nf, self.nc)
        )

    def coarse_of(self, fine: np.ndarray) -> np.ndarray:
        return (np.asarray(fine @ self.F2C) > 0).astype(np.int8)

    def complete(self, fine: np.ndarray, coarse: np.ndarray) -> np.ndarray:
        """``fine`` plus ``<coarse>: Other`` for each decided coarse label without a fine child."""
        miss = (coarse > 0) & (self.coarse_of(fine) == 0)
        has = self.other >= 0
        if not (miss[:, has]).any():
            return fine
        out = fine.copy()
        cols = np.flatnonzero(has)
        out[:, self.other[cols]] |= miss[:, cols].astype(np.int8)
        return out


def samples_f1(Y: np.ndarray, D: np.ndarray) -> float:
    """Mean per-row F1 where an empty row means the none label (as in SemEval)."""
    gy, gd = Y.sum(axis=1), D.sum(axis=1)
    tp = (Y & D).sum(axis=1)
    f1 = np.where(
        (gy == 0) & (gd == 0), 1.0, 2 * tp / np.maximum(gy + gd + (gy == 0) + (gd == 0), 1)
    )
    return float(f1.mean())


def apply_decision(
    P: np.ndarray, thr: np.ndarray, decision: dict[str, Any], shape: DecisionShape
) -> tuple[np.ndarray, np.ndarray]:
    """0/1 fine and coarse decisions from probabilities (fine, coarse, none columns)."""
    nf, nc = shape.nf, shape.nc
    scale = decision["scale"]
    tf = np.minimum(thr[:nf] * scale, 0.99)
    tc = np.minimum(thr[nf : nf + nc] * decision.get("coarse_scale", scale), 0.99)
    fine = (P[:, :nf] >= tf).astype(np.int8)
    coarse = (P[:, nf : nf + nc] >= tc).astype(np.int8) | shape.coarse_of(fine)
    gate = decision.get("none_gate")
    if gate is not None and P.shape[1] > nf + nc:
        is_none = P[:, nf + nc] >= gate
        if decision.get("top1"):
            empty = ~is_none & (fine.sum(axis=1) == 0)
            if empty.any():
                j = (P[:, :nf] / np.maximum(tf, 1e-6)).argmax(axis=1)
                fine[empty, j[empty]] = 1
                coarse[empty, shape.parent[j[empty]]] = 1
        fine[is_none] = 0
        coarse[is_none] = 0
    return fine, coarse


def tune_decision(
    oof: np.ndarray,
    Yf: np.ndarray,
    Yc: np.ndarray,
    thr: np.ndarray,
    shape: DecisionShape,
    auto: bool,
) -> dict[str, Any]:
    """The decision with the best mean of fine and coarse F1-samples on out-of-fold scores.

    ``auto``: the per-label thresholds alone (no gate, scale 1) win unless beaten.
    """

    def score(d: dict[str, Any]) -> float:
        fine, coarse = apply_decision(oof, thr, d, shape)
        return (samples_f1(Yf, shape.complete(fine, coarse)) + samples_f1(Yc, coarse)) / 2

    plain = {"none_gate": None, "scale": 1.0, "top1": False, "objective": "label_f1"}
    base = score(plain)
    best, best_s = plain, base if auto else -1.0
    for gate, scale, cscale, top1 in itertools.product(GATES, SCALES, SCALES, (False, True)):
        d = {
            "none_gate": gate,
            "scale": scale,
            "coarse_scale": cscale,
            "top1": top1,
            "objective": "samples_f1",
        }
        s = score(d)
        if s > best_s + 1e-9:
            best, best_s = d, s
    best = dict(best)
    best["oof_samples_f1"] = round(best_s, 4)
    best["oof_samples_f1_label_f1"] = round(base, 4)
    return best

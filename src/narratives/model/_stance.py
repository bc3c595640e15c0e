"""Stance per frame: one logistic model over (passage, frame) pairs.

A passage can promote one frame and report another (real text does; guidelines 9.1), so the
stance head is trained on one row per (passage, frame) with a known stance: the passage's
features plus an indicator of the frame. Its weights split into a shared part (the passage's
wording: attribution, distance, voice) and a bias per frame, so scoring every frame of a passage
costs one product and an addition. Training rows take their stance from a per-frame mapping
(``{"russia_defends": "promotes"}``, as in ``data/real``) or, for corpora with one stance per
passage, from that stance for each of the passage's frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

__all__ = ["frame_stances", "overall_stance", "stance_pairs"]

STANCE_VALUES = ("promotes", "reports")


def stance_pairs(
    Yf: np.ndarray, stance: Sequence[Any], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, frame columns and targets (1 = promotes) of the (passage, frame) pairs with a
    known stance. ``stance[r]`` is a str for the whole passage or a dict frame -> stance."""
    rows, cols, target = [], [], []
    for r, st in enumerate(stance):
        for j in np.flatnonzero(Yf[r]):
            s = st.get(labels[j]) if isinstance(st, dict) else st
            if s in STANCE_VALUES:
                rows.append(r)
                cols.append(j)
                target.append(int(s == "promotes"))
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(target)


def pair_matrix(X: Any, rows: np.ndarray, cols: np.ndarray, n_labels: int) -> sp.csr_matrix:
    """Passage features of each pair followed by a one-hot block for its frame."""
    onehot = sp.csr_matrix(
        (np.ones(len(rows)), (np.arange(len(rows)), cols)), shape=(len(rows), n_labels)
    )
    return sp.hstack([sp.csr_matrix(X)[rows], onehot], format="csr")


def fit_stance_head(
    X: Any,
    rows: np.ndarray,
    cols: np.ndarray,
    target: np.ndarray,
    n_labels: int,
    C: float,
    seed: int,
    dual: bool | str = False,
) -> LogisticRegression:
    """The stance head: a logistic regression on :func:`pair_matrix` (``dual`` as
    :class:`~narratives.model.NarrativeClassifier`'s, decided on the pair matrix's shape)."""
    # scikit-learn only for fitting: tagging needs frame_stances and overall_stance alone.
    from sklearn.linear_model import LogisticRegression

    from ._label_models import resolve_dual

    P = pair_matrix(X, rows, cols, n_labels)
    est = LogisticRegression(
        C=C,
        class_weight="balanced",
        solver="liblinear",
        dual=resolve_dual(dual, P.shape),
        max_iter=2000,
        random_state=seed,
    )
    return est.fit(P, target)


def frame_stances(
    fine: np.ndarray, stance_frames: np.ndarray, labels: Sequence[str]
) -> tuple[list[dict[str, str]], list[str]]:
    """Per row, frame -> stance for its decided frames, and the overall stance (``promotes`` if
    any frame is promoted, else ``reports`` if it has a frame, else ``none``)."""
    stances, overall = [], []
    for r in range(fine.shape[0]):
        js = np.flatnonzero(fine[r])
        if np.isnan(stance_frames[r]).all() and len(js):
            per = dict.fromkeys((labels[j] for j in js), "unknown")
        else:
            per = {labels[j]: "promotes" if stance_frames[r, j] >= 0.5 else "reports" for j in js}
        stances.append(per)
        overall.append(overall_stance(per.values()))
    return stances, overall


def overall_stance(values) -> str:
    """One stance for a unit from its frames' stances: ``promotes`` when any frame is promoted,
    else ``unknown`` / ``reports`` when it has frames, else ``none``."""
    values = set(values)
    if "promotes" in values:
        return "promotes"
    if "unknown" in values:
        return "unknown"
    return "reports" if values else "none"

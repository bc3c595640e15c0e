"""The per-label pieces of :class:`~narratives.model.NarrativeClassifier`: label matrices, one
label model's fit and probability, threshold search, label lists and per-row F1."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .._exceptions import InputError
from .._internal.progress import tick


def _labels_matrix(y: Any, labels: list[str], none_label: str) -> np.ndarray:
    """0/1 matrix from label lists, or a 0/1 indicator matrix whose columns are ``labels``."""
    if sp.issparse(y):
        y = y.toarray()
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
        if y.shape[1] != len(labels):
            raise InputError(
                f"indicator matrix has {y.shape[1]} columns; the taxonomy has {len(labels)} fine labels"
            )
        return (y > 0).astype(np.int8)
    index = {lab: i for i, lab in enumerate(labels)}
    Y = np.zeros((len(y), len(labels)), dtype=np.int8)
    unknown: set[str] = set()
    for r, labs in enumerate(y):
        if isinstance(labs, str):
            labs = [labs]
        for lab in labs:
            if lab == none_label or lab == "":
                continue
            if lab in index:
                Y[r, index[lab]] = 1
            else:
                unknown.add(lab)
    if unknown:
        raise InputError(
            f"labels not in the taxonomy: {', '.join(sorted(unknown)[:8])}"
            + (" ..." if len(unknown) > 8 else "")
        )
    return Y


def _best_threshold(
    p: np.ndarray,
    y: np.ndarray,
    floor: float,
    ceiling: float,
    beta: float = 1.0,
    plateau: float = 0.0,
) -> tuple[float, float]:
    """Threshold maximising F-beta of ``p >= t`` (ties: the one nearest 0.5), and the F1 there.

    ``plateau`` > 0: the highest cut whose F-beta is within that share of the best instead. On
    out-of-fold scores F-beta is often flat over a wide range of cuts, and the argmax then jumps
    between distant ones when the threshold folds change (the default model's recipe with fold
    seed 1 instead of 0: a mean change of 0.084 per frame threshold); the top of the plateau
    moves about half as much, and it is the cautious end."""
    pos = int(y.sum())
    if pos == 0:
        return ceiling, 0.0
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ps) + 1)
    f1 = 2 * tp / (k + pos)
    b2 = beta * beta
    fb = (1 + b2) * tp / (k + b2 * pos)
    # Only cut between distinct scores.
    last = np.r_[ps[1:] != ps[:-1], True]
    fb = np.where(last, fb, -1)
    if plateau > 0:
        best = int(np.flatnonzero(fb >= fb.max() * (1.0 - plateau))[0])
    else:
        cand = np.where(fb >= fb.max() - 1e-9)[0]
        best = cand[np.argmin(np.abs(ps[cand] - 0.5))]
    nxt = ps[best + 1] if best + 1 < len(ps) else 0.0
    t = float((ps[best] + nxt) / 2)
    return float(np.clip(t, floor, ceiling)), float(f1[best])


def resolve_dual(dual: Any, shape: tuple[int, int]) -> bool:
    """liblinear's formulation for a training matrix of ``shape``: ``dual`` itself when a bool,
    and for ``"auto"`` the dual when there are more features than rows (scikit-learn: "prefer
    dual=False when n_samples > n_features")."""
    if isinstance(dual, (bool, np.bool_)):
        return bool(dual)
    if dual == "auto":
        return bool(shape[1] > shape[0])
    raise InputError(f"dual must be True, False or 'auto', not {dual!r}")


# Calibration methods done by refitting inside CalibratedClassifierCV (the v1 scheme); the
# default ``oof_sigmoid`` fits Platt's sigmoid on the threshold folds' out-of-fold decisions.
_CV_CALIBRATION = ("sigmoid", "isotonic")


def _fit_one(base: Any, X: Any, y: np.ndarray, calibration: str | None, cv: int, seed: int) -> Any:
    est = _fit_label(base, X, y, calibration, cv, seed)
    tick()  # a progress bar of narratives.train counts the label models fitted
    return est


def _fit_label(
    base: Any, X: Any, y: np.ndarray, calibration: str | None, cv: int, seed: int
) -> Any:
    pos = int(y.sum())
    if pos == 0:
        return None
    if pos == len(y):
        return 1.0
    est = clone(base)
    if calibration in _CV_CALIBRATION and pos >= cv and len(y) - pos >= cv:
        est = CalibratedClassifierCV(
            est,
            method=calibration,
            cv=StratifiedKFold(cv, shuffle=True, random_state=seed),
            ensemble=False,
        )
    return est.fit(X, y)


def resolve_solver(
    solver: Any,
    calibration: str | None,
    X: Any = None,
    n_labels: int = 0,
) -> str:
    """The label models' solver: ``"liblinear"`` (one scikit-learn fit per label) or
    ``"batched"`` (all labels together, :mod:`narratives.model._batched`). The batched solver
    fits plain logistic regressions, so the calibrations that refit inside
    ``CalibratedClassifierCV`` (``sigmoid``, ``isotonic``) keep liblinear.

    ``"auto"`` picks the batched solver for the training matrix ``X`` (with ``n_labels`` label
    columns fitted: those with positive and negative rows, :func:`fitted_columns`; the others
    get stand-ins from either solver and are no part of the batched solver's arrays) where it
    was measured faster than liblinear (``benchmarks/results/train_speed.md``, one core):

    - when its row form serves (few rows, many features and labels): SemEval English trained
      2x faster, copies of it 3.6-4.3x;
    - when the matrix has at least :data:`AUTO_NONZEROS` nonzeros (liblinear's
      16-byte-per-nonzero copy has long outgrown the processor's cache): the default corpus's
      label models, 4.5 million nonzeros, 1.6x faster; liblinear was 1.2x faster on a quarter
      of the corpus (1.1 million nonzeros) and they tied on half of it (2.2 million).

    The choice depends on the data only, not on ``n_jobs`` or the machine's cores, so that the
    same data and seed give the same model everywhere. liblinear fits labels in parallel with
    ``n_jobs``, but on 2 cores two workers did not beat the batched solver (review of
    2026-12-07, wall time on a shared machine: the corpus 47.6-92.5 s against 42.7-46.4 s,
    SemEval English 7.6-10.9 s against 3.2-5.0 s); pass ``solver="liblinear"`` to fit labels
    in parallel on many cores."""
    if solver not in SOLVERS:
        raise InputError(f"solver must be one of {', '.join(SOLVERS)}, not {solver!r}")
    if solver == "liblinear" or calibration in _CV_CALIBRATION:
        return "liblinear"
    if solver == "auto":
        from ._batched import use_rows

        n, d = X.shape
        if not (use_rows(n, d, n_labels) or X.nnz >= AUTO_NONZEROS):
            return "liblinear"
    return "batched"


#: The values of ``NarrativeClassifier(solver=...)``.
SOLVERS = ("liblinear", "batched", "auto")

#: Nonzeros from which ``solver="auto"`` fits the label models together (``resolve_solver``).
AUTO_NONZEROS = 3_000_000


def fitted_columns(Y: np.ndarray) -> np.ndarray:
    """The columns of ``Y`` whose label models are fitted: those with positive and negative rows.
    Either solver gives the others a stand-in (None: no positive, 1.0: no negative)."""
    pos = np.asarray(Y).sum(axis=0)
    return np.flatnonzero((pos > 0) & (pos < Y.shape[0]))


def fit_label_columns(
    base: Any,
    X: Any,
    Y: np.ndarray,
    init: list[Any] | None = None,
    n_jobs: int | None = None,
    labels: Sequence[str] | None = None,
) -> list[Any]:
    """One model per column of ``Y``, as :func:`_fit_one` gives them without calibration
    (None: no positive, 1.0: no negative, else a fitted ``LogisticRegression`` like ``base``),
    all fitted together by the batched solver on liblinear's objective (``base``'s ``C``,
    ``class_weight``, ``intercept_scaling``, ``tol``, ``max_iter``). ``init``: models of the
    same labels to start from (the final models, for the threshold folds' rows). Runs in this
    process, with at most ``n_jobs`` BLAS threads (joblib's meaning: None is one).

    Label models stopped short of the solver's tolerance (at ``max_iter``, or where its line
    search found no decrease) raise a ``ConvergenceWarning`` naming them by ``labels`` (the
    columns' names; their indices without)."""
    from joblib import effective_n_jobs
    from threadpoolctl import threadpool_limits

    from ._batched import fit_batched

    out: list[Any] = [None if p == 0 else 1.0 for p in Y.sum(axis=0)]
    free = fitted_columns(Y)
    if len(free):
        start = None
        if init is not None:
            coef = np.zeros((len(free), X.shape[1]))
            intercept = np.zeros(len(free))
            for i, j in enumerate(free):
                if isinstance(init[j], LogisticRegression):
                    coef[i], intercept[i] = init[j].coef_[0], init[j].intercept_[0]
            start = (coef, intercept)
        l2 = getattr(base, "penalty", "l2") in ("l2", "deprecated") and not getattr(
            base, "l1_ratio", None
        )
        if not l2 or not base.fit_intercept:
            raise InputError("the batched solver fits L2-penalised models with an intercept")
        with threadpool_limits(limits=effective_n_jobs(n_jobs), user_api="blas"):
            res = fit_batched(
                X,
                Y[:, free],
                C=base.C,
                class_weight=base.class_weight,
                intercept_scaling=base.intercept_scaling,
                tol=base.tol,
                max_iter=base.max_iter,
                init=start,
            )
        names = [f"column {j}" if labels is None else str(labels[j]) for j in free]
        _warn_unconverged(res, names, base)
        for i, j in enumerate(free):
            est = clone(base)
            est.classes_ = np.unique(Y[:, j])
            est.coef_ = res.coef[i : i + 1].copy()
            est.intercept_ = res.intercept[i : i + 1].copy()
            est.n_iter_ = res.n_iter[i : i + 1].copy()
            est.n_features_in_ = X.shape[1]
            out[j] = est
    for _ in range(Y.shape[1]):
        tick()
    return out


def _warn_unconverged(res: Any, names: list[str], base: Any) -> None:
    """A ``ConvergenceWarning`` for the label models of ``res`` (a ``BatchedResult``) stopped at
    ``max_iter`` and one for those whose line search found no decrease, naming them."""
    at_max_iter = ~res.converged & ~res.stalled
    for which, why, advice in (
        (at_max_iter, f"at max_iter={base.max_iter}", "increase max_iter"),
        (
            res.stalled,
            "where its line search found no decrease",
            "their weights are the best it reached",
        ),
    ):
        if which.any():
            warnings.warn(
                f"the batched solver stopped {int(which.sum())} label models {why}, before its "
                f"tolerance (tol={base.tol:g}): {_listed(names, which)}; {advice}",
                ConvergenceWarning,
                stacklevel=3,
            )


def _listed(names: list[str], which: np.ndarray, most: int = 8) -> str:
    """The ``names`` where ``which`` is true, comma-separated, at most ``most`` of them."""
    chosen = [name for name, w in zip(names, which, strict=True) if w]
    extra = f" and {len(chosen) - most} more" if len(chosen) > most else ""
    return ", ".join(chosen[:most]) + extra


def _linear_form(est: Any) -> tuple[np.ndarray, float, float | None] | None:
    """``(coef, intercept, sigmoid (a, b) or None)`` when ``est`` is a binary logistic regression,
    optionally sigmoid-calibrated with one calibrated model (``ensemble=False``); else None."""
    cal = None
    if isinstance(est, CalibratedClassifierCV):
        ccs = getattr(est, "calibrated_classifiers_", [])
        if len(ccs) != 1 or len(ccs[0].calibrators) != 1 or ccs[0].method != "sigmoid":
            return None
        c = ccs[0].calibrators[0]
        if not hasattr(c, "a_"):
            return None
        est, cal = ccs[0].estimator, (float(c.a_), float(c.b_))
    if not isinstance(est, LogisticRegression) or est.coef_.shape[0] != 1:
        return None
    return est.coef_.ravel(), float(est.intercept_[0]), cal


def _samples_f1(Y: np.ndarray, D: np.ndarray) -> float:
    """Mean per-row F1 where an empty row means the none label (as in SemEval)."""
    gy, gd = Y.sum(axis=1), D.sum(axis=1)
    tp = (Y & D).sum(axis=1)
    f1 = np.where(
        (gy == 0) & (gd == 0), 1.0, 2 * tp / np.maximum(gy + gd + (gy == 0) + (gd == 0), 1)
    )
    # none vs labels: a row with gold none and predicted labels (or vice versa) scores 0.
    return float(f1.mean())


def _nanmean(a: np.ndarray) -> float | None:
    a = a[~np.isnan(a)]
    return round(float(a.mean()), 4) if len(a) else None

"""Platt scaling fitted on out-of-fold decision values (the ``oof_sigmoid`` calibration).

``CalibratedClassifierCV`` refits every label model on inner folds to calibrate it (``cv + 1``
fits per label, and again inside every threshold fold). The threshold folds already give each
training row a decision value from a model that did not see it; a sigmoid fitted on those values
calibrates the final model with no extra fit. Same family of calibrator (Platt's sigmoid, with
his smoothed targets), about four times fewer fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression

from ._deciding import _proba_one
from ._label_models import _fit_one, fit_label_columns

__all__ = ["fit_sigmoid", "fold_models", "fold_rows", "oof_sigmoid"]


def fit_sigmoid(d: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` such that ``P(y=1 | d) = 1 / (1 + exp(a * d + b))`` (sklearn's convention).

    Platt (1999): maximum likelihood on targets smoothed towards 1/2 by the class counts, so a
    separable label does not get an infinitely steep sigmoid.
    """
    d = np.asarray(d, dtype=float)
    y = np.asarray(y) > 0
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    t = np.where(y, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = -(ab[0] * d + ab[1])  # logit of P(y=1)
        nll = -(t * log_expit(z) + (1 - t) * log_expit(-z)).sum()
        g = expit(z) - t  # d nll / d z
        return float(nll), np.array([-(g * d).sum(), -g.sum()])

    b0 = float(np.log((n_neg + 1.0) / (n_pos + 1.0)))
    res = minimize(loss, np.array([0.0, b0]), jac=True, method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


def fold_rows(X: Any, Y: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]]):
    """Each fold's training rows ``(X[tr], Y[tr])``, sliced once per fold for all its label
    models and one fold at a time (a generator: joblib draws the jobs as it dispatches them).

    Slicing ``X[tr]`` once per label model instead (as before) copied the training matrix
    ``n_labels`` times per fold and kept every copy alive until the fits began: on the default
    corpus 95 copies of a 40 MB matrix, a cost that grew faster than the data (issue 12). The
    label models see the same rows, so they fit the same (tested).
    """
    for tr, _te in folds:
        yield X[tr], Y[tr]


def fold_models(clf, X: Any, Y: np.ndarray, folds, calibration: str | None = None) -> list[Any]:
    """Every fold's label models, fold by fold (each fold's labels in order), by the final
    models' solver (``clf.solver_``); ``calibration`` as :func:`_fit_one` takes it (the batched
    solver is never resolved for the calibrations that refit, see ``resolve_solver``)."""
    if getattr(clf, "solver_", "liblinear") == "batched":
        # All labels of a fold at once, from the final models (the same optimum is near).
        return [
            est
            for X_tr, Y_tr in fold_rows(X, Y, folds)
            for est in fit_label_columns(
                clf._base(),
                X_tr,
                Y_tr,
                init=clf.estimators_,
                n_jobs=clf.n_jobs,
                labels=clf._columns(),
            )
        ]
    jobs = (
        delayed(_fit_one)(
            clf._base(), X_tr, Y_tr[:, j], calibration, clf.calibration_cv, clf.random_state
        )
        for X_tr, Y_tr in fold_rows(X, Y, folds)
        for j in range(Y.shape[1])
    )
    return Parallel(n_jobs=clf.n_jobs)(jobs)


def oof_sigmoid(clf, X: Any, Y: np.ndarray, groups: Sequence[Any] | None, has_oof: bool):
    """Fit ``clf.calibrators_`` (Platt, on out-of-fold decisions) and return the out-of-fold
    probabilities (None without threshold folds: the sigmoid then uses in-sample decisions,
    which are over-confident, and thresholds stay at ``default_threshold``)."""
    n_lab = Y.shape[1]
    if has_oof:
        folds = clf._folds(X.shape[0], groups)
        fitted = fold_models(clf, X, Y, folds)
        D = np.zeros(Y.shape, dtype=float)
        fixed = np.full(Y.shape, np.nan)  # stand-ins (no positive / all positive in a fold)
        i = 0
        for _tr, te in folds:
            X_te = X[te]
            for j in range(n_lab):
                est = fitted[i]
                i += 1
                if isinstance(est, LogisticRegression):
                    D[te, j] = est.decision_function(X_te)
                else:
                    fixed[te, j] = _proba_one(est, X_te)
    else:
        D = np.column_stack(
            [
                est.decision_function(X)
                if isinstance(est, LogisticRegression)
                else np.zeros(X.shape[0])
                for est in clf.estimators_
            ]
        )
        fixed = np.full(Y.shape, np.nan)
    clf.calibrators_ = np.full((n_lab, 2), np.nan)
    oof = np.zeros(Y.shape, dtype=float)
    for j, est in enumerate(clf.estimators_):
        free = np.isnan(fixed[:, j])
        if isinstance(est, LogisticRegression) and 0 < Y[free, j].sum() < free.sum():
            a, b = fit_sigmoid(D[free, j], Y[free, j])
            clf.calibrators_[j] = (a, b)
            oof[:, j] = expit(-(a * D[:, j] + b))
        else:
            oof[:, j] = _proba_one(est, X) if est is None or isinstance(est, float) else 0.0
        oof[~free, j] = fixed[~free, j]
    return oof if has_oof else None

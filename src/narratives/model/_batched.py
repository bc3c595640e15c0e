"""All labels' logistic regressions fitted together, one pass over the data per step for all.

liblinear fits one label at a time, each on its own copy of the training matrix (16 bytes per
nonzero), which it reads on every pass: with 19 labels, 19 copies streamed through memory, and
once a copy outgrows the processor's cache a pass costs several times more per nonzero (issue
12, ``benchmarks/results/train_speed.md``). Here every label's binary model is one column of a
weight matrix ``W``, and each step reads the matrix once for all of them: sparse times dense
products ``X @ V`` and ``X.T @ U`` with one column per label still being fitted.

The objective is liblinear's primal one for ``LogisticRegression(solver="liblinear")`` with an
intercept, so that the models equal liblinear's (within its tolerance)::

    min_{w, b}  ||w||^2 / 2 + b^2 / 2 + sum_i C_i log(1 + exp(-s_i (x_i . w + k b)))

with ``s_i = +1 / -1`` for positive / negative rows, ``C_i = C * class_weight[y_i]`` and ``k``
the ``intercept_scaling``: liblinear appends ``k`` to every row as one more feature, so the
intercept is regularised like a weight, and the model's ``intercept_`` is ``k b``.

The method: Newton steps, each direction from conjugate gradients (stopped at a tenth of the
gradient, as liblinear's trust-region Newton does; a diagonal preconditioner took more steps
on text features), a backtracking line search, and liblinear's primal stopping rule per label
(gradient norm at most ``tol * max(min(pos, neg), 1) / n`` of the first), ten times
stricter (``_TOL_SHARE``). Labels stop on their own; later steps carry only the labels still
moving. The line search needs no pass over the matrix: the conjugate gradients already computed
``X @ d`` for every direction ``d``, and ``X @ p`` for the step ``p`` is their sum.

The matrix is kept once, column-major (CSC): ``X @ V`` then adds each feature's row of ``V``
(read in order) into the small ``n x labels`` result, and ``X.T @ U`` reads rows of the small
``U``; neither gathers at random from the large ``features x labels`` arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["BatchedResult", "fit_batched", "label_costs"]

#: Conjugate gradients stop when the residual is this share of the gradient (liblinear: 0.1
#: in its trust-region Newton), or after ``_MAX_CG`` steps.
_CG_TOL = 0.1
_MAX_CG = 250
#: Armijo constant and step shrink factor of the line search.
_ARMIJO = 0.01
_SHRINK = 0.5
_MAX_HALVINGS = 20
#: The stopping rule's share of liblinear's: liblinear's primal stops where probabilities can
#: still be 3e-3 from the optimum (its dual, the default on text, much nearer); one Newton step
#: more puts these models within about 1e-4 of it, so within 1e-3 of either formulation.
_TOL_SHARE = 0.1
#: Precision of the conjugate gradients' products and feature-sized arrays (see ``_cg``).
CG_DTYPE = np.float32


class BatchedResult:
    """Weights ``coef`` (labels x features), ``intercept`` (labels,), Newton iterations per
    label ``n_iter`` (labels,) and whether each label met the stopping rule ``converged``."""

    def __init__(self, coef, intercept, n_iter, converged) -> None:
        self.coef = coef
        self.intercept = intercept
        self.n_iter = n_iter
        self.converged = converged


def label_costs(Y: np.ndarray, C: float, class_weight: Any) -> np.ndarray:
    """Per row and label, ``C`` times the weight of the row's class (``n x labels``), as
    scikit-learn gives liblinear: ``"balanced"`` ``n / (2 n_class)``, a dict ``{0: w0, 1: w1}``
    (missing classes weigh 1), None 1."""
    n = Y.shape[0]
    pos = Y.sum(axis=0).astype(float)
    if class_weight is None:
        w1, w0 = np.ones_like(pos), np.ones_like(pos)
    elif isinstance(class_weight, str) and class_weight == "balanced":
        w1, w0 = n / (2.0 * pos), n / (2.0 * (n - pos))
    elif isinstance(class_weight, dict):
        w1 = np.full_like(pos, float(class_weight.get(1, 1.0)))
        w0 = np.full_like(pos, float(class_weight.get(0, 1.0)))
    else:
        raise ValueError(f"class_weight {class_weight!r} is not supported by the batched solver")
    return C * np.where(Y > 0, w1, w0)


class _Problem:
    """The data every step reads: the matrix (CSC and its transpose view), squared values for
    the preconditioner, targets, costs, the intercept's feature value."""

    def __init__(self, X: Any, Y: np.ndarray, costs: np.ndarray, scale: float) -> None:
        self.X = sp.csc_matrix(X, dtype=np.float64)
        self.X.sort_indices()
        self.XT = self.X.T  # CSR view of the same arrays, no copy
        self.X32 = sp.csc_matrix(
            (self.X.data.astype(CG_DTYPE), self.X.indices, self.X.indptr), shape=self.X.shape
        )
        self.X32T = self.X32.T
        self.Y = (Y > 0).astype(np.float64)
        self.costs = costs
        self.k = float(scale)

    def loss(self, Z: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per label, the weighted logistic loss of margins Z."""
        Yc, Cc = self.Y[:, cols], self.costs[:, cols]
        # log(1 + exp(-s z)) = logaddexp(0, z) - y z
        return (Cc * (np.logaddexp(0.0, Z) - Yc * Z)).sum(axis=0)


def _gradient(pb: _Problem, W, b, Z, cols):
    """Gradient (weights, intercept) at margins ``Z`` and the Hessian's row weights ``D``."""
    sig = expit(Z)
    Cc = pb.costs[:, cols]
    R = Cc * (sig - pb.Y[:, cols])
    D = Cc * sig * (1.0 - sig)
    G = np.asarray(pb.XT @ R)
    G += W
    gb = b + pb.k * R.sum(axis=0)
    return G, gb, D


def _dots(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Column-wise dot products of two (rows x labels) arrays."""
    return np.einsum("ij,ij->j", A, B, dtype=np.float64)


def _cg(pb: _Problem, G, gb, D, tol_rel: float):
    """Conjugate gradients on ``H p = -g`` for every label at once, each label stopping on its
    own; returns the directions (weights, intercepts) and ``X @ p`` (for the line search).

    The arrays hold only the labels still iterating: a label that stops has its direction
    written out and its columns dropped, so each step costs in proportion to the labels left.
    The products and the feature-sized arrays are single precision (``CG_DTYPE``): half the
    memory traffic, and a Newton direction needs no more (the gradient and the steps taken
    are double precision, so the solution is as exact as the stopping rule asks)."""
    dt = CG_DTYPE
    k = G.shape[1]
    P_out, pb_out = np.zeros(G.shape), np.zeros(k)
    XP_out = np.zeros((pb.X.shape[0], k))
    idx = np.arange(k)  # the labels still iterating
    Rf, rb = (-G).astype(dt), -gb
    Df, db = Rf.copy(), rb.copy()
    P, pbias = np.zeros_like(Rf), np.zeros(k)
    XP = np.zeros((pb.X.shape[0], k), dtype=dt)
    Dw = D.astype(dt)
    rr = _dots(Rf, Rf) + rb * rb
    stop2 = (tol_rel * tol_rel) * (_dots(G, G) + gb * gb)
    tmp = np.empty_like(Rf)
    for _ in range(_MAX_CG):
        go = rr > stop2
        if not go.all():
            done = ~go
            P_out[:, idx[done]] = P[:, done]
            pb_out[idx[done]] = pbias[done]
            XP_out[:, idx[done]] = XP[:, done]
            if not go.any():
                return P_out, pb_out, XP_out
            idx, Rf, rb, Df, db, P, pbias, XP, Dw, rr, stop2 = (
                a[..., go] for a in (idx, Rf, rb, Df, db, P, pbias, XP, Dw, rr, stop2)
            )
            tmp = np.empty_like(Rf)
        XD = np.asarray(pb.X32 @ Df)
        XD += (pb.k * db).astype(dt)
        XD_w = Dw * XD
        HDf = np.asarray(pb.X32T @ XD_w)
        HDf += Df
        HDb = db + pb.k * XD_w.sum(axis=0, dtype=np.float64)
        alpha = rr / (_dots(Df, HDf) + db * HDb)
        a32 = alpha.astype(dt)
        P += np.multiply(Df, a32, out=tmp)
        pbias += alpha * db
        XD *= a32
        XP += XD
        Rf -= np.multiply(HDf, a32, out=tmp)
        rb = rb - alpha * HDb
        rr_new = _dots(Rf, Rf) + rb * rb
        beta = rr_new / rr
        rr = rr_new
        Df *= beta.astype(dt)
        Df += Rf
        db = rb + beta * db
    P_out[:, idx], pb_out[idx], XP_out[:, idx] = P, pbias, XP
    return P_out, pb_out, XP_out


def _line_search(pb: _Problem, point, step, grad, f, cols):
    """Backtracking (Armijo) step per label from ``point`` (weights, intercepts, margins) along
    ``step`` (the same three); ``grad``: the gradient at ``point`` (weights, intercepts), ``f``
    the objective there. The objective at a step needs only the margins ``Z + t XP`` (no pass
    over the matrix). Returns the steps and the objective after them."""
    (W, b, Z), (P, pbias, XP), (G, gb) = point, step, grad
    ww = _dots(W, W) + b * b
    wp = _dots(W, P) + b * pbias
    pp = _dots(P, P) + pbias * pbias
    slope = _dots(G, P) + gb * pbias
    k = len(cols)
    t = np.ones(k)
    f_new = np.full(k, np.inf)
    todo = np.arange(k)
    for _ in range(_MAX_HALVINGS):
        tt = t[todo]
        Zt = Z[:, todo] + tt * XP[:, todo]
        ft = 0.5 * (ww[todo] + 2 * tt * wp[todo] + tt * tt * pp[todo]) + pb.loss(Zt, cols[todo])
        ok = ft <= f[todo] + _ARMIJO * tt * slope[todo]
        f_new[todo[ok]] = ft[ok]
        todo = todo[~ok]
        if not len(todo):
            break
        t[todo] *= _SHRINK
    t[todo] = 0.0  # no decrease found: the label stops (at its best point)
    return t, f_new


def fit_batched(
    X: Any,
    Y: np.ndarray,
    C: float,
    class_weight: Any = "balanced",
    intercept_scaling: float = 1.0,
    tol: float = 1e-4,
    max_iter: int = 2000,
    init: tuple[np.ndarray, np.ndarray] | None = None,
) -> BatchedResult:
    """Fit one L2-regularised binary logistic regression per column of ``Y`` (0/1, every column
    with positives and negatives) on ``X`` (sparse, rows x features), all at once.

    The weights are those liblinear approaches (``LogisticRegression(solver="liblinear", C=C,
    class_weight=class_weight, intercept_scaling=intercept_scaling, tol=tol)``), nearer to the
    optimum (``_TOL_SHARE``). ``init``: ``(coef, intercept)`` to start from (e.g. the models of a superset of
    the rows); the stopping rule is still relative to the gradient at zero, as liblinear's.
    """
    Y = np.asarray(Y)
    n, L = Y.shape
    pos = Y.sum(axis=0)
    if np.any(pos == 0) or np.any(pos == n):
        raise ValueError("every label needs positive and negative rows")
    pb = _Problem(X, Y, label_costs(Y, C, class_weight), intercept_scaling)
    everything = np.arange(L)
    # liblinear stops when the gradient norm is at most eps of its norm at zero.
    g0, gb0 = _gradient(pb, 0.0, 0.0, np.zeros((n, L)), everything)[:2]
    stop = (
        _TOL_SHARE
        * tol
        * np.maximum(np.minimum(pos, n - pos), 1)
        / n
        * np.sqrt(_dots(g0, g0) + gb0 * gb0)
    )
    if init is None:
        W, b, Z = np.zeros((pb.X.shape[1], L)), np.zeros(L), np.zeros((n, L))
    else:
        W = np.array(init[0], dtype=np.float64).T.copy()
        b = np.asarray(init[1], dtype=np.float64) / pb.k
        Z = np.asarray(pb.X @ W) + pb.k * b
    f = 0.5 * (_dots(W, W) + b * b) + pb.loss(Z, everything)
    n_iter = np.zeros(L, dtype=np.int32)
    converged = np.zeros(L, dtype=bool)
    active = everything
    while len(active):
        G, gb, D = _gradient(pb, W[:, active], b[active], Z[:, active], active)
        done = _dots(G, G) + gb * gb <= stop[active] ** 2
        converged[active[done]] = True
        go = ~done & (n_iter[active] < max_iter)
        if not go.all():
            active, G, gb, D = active[go], G[:, go], gb[go], D[:, go]
            if not len(active):
                break
        P, pbias, XP = _cg(pb, G, gb, D, _CG_TOL)
        t, f_new = _line_search(
            pb, (W[:, active], b[active], Z[:, active]), (P, pbias, XP), (G, gb), f[active], active
        )
        W[:, active] += t * P
        b[active] += t * pbias
        Z[:, active] += t * XP
        n_iter[active] += 1
        moved = t > 0
        f[active[moved]] = f_new[moved]
        # No decrease along a descent direction: the label is at the arithmetic's precision.
        converged[active[~moved]] = True
        active = active[moved]
    return BatchedResult(W.T.copy(), pb.k * b, n_iter, converged)

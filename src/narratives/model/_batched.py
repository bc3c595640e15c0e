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
moving. A label whose line search finds no decrease stops too, short of the rule (``stalled``,
not ``converged``: the caller warns, as liblinear does when it stops early). The line search
needs no pass over the matrix: the conjugate gradients already computed ``X @ d`` for every
direction ``d``, and ``X @ p`` for the step ``p`` is their sum.

The matrix is kept once, column-major (CSC): ``X @ V`` then adds each feature's row of ``V``
(read in order) into the small ``n x labels`` result, and ``X.T @ U`` reads rows of the small
``U``; neither gathers at random from the large ``features x labels`` arrays. The conjugate
gradients run in single precision (half the memory traffic; the gradients and the steps taken
are double precision, so the solution is as exact as the stopping rule asks).

With few rows and many features and labels (SemEval English: 399 documents, 25,911 features,
117 labels) the ``features x labels`` arrays dwarf the matrix itself. Then (``use_rows``) the
weights are kept as combinations of the rows, ``W = X.T @ A``: from zero, every gradient and
direction stays in that span, and each step is one product with the rows' Gram matrix on
``rows x labels`` arrays (``_Rows``); the same iterates, four times faster there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["BatchedResult", "fit_batched", "label_costs", "use_rows"]

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
    label ``n_iter`` (labels,), whether each label met the stopping rule ``converged``, and
    whether it stopped short of it because its line search found no decrease ``stalled``
    (the others not converged stopped at ``max_iter``)."""

    def __init__(self, coef, intercept, n_iter, converged, stalled=None) -> None:
        self.coef = coef
        self.intercept = intercept
        self.n_iter = n_iter
        self.converged = converged
        self.stalled = np.zeros(len(converged), dtype=bool) if stalled is None else stalled


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


class _Problem:
    """What every step reads: the matrix (CSC, its transpose a view of the same arrays, and a
    single-precision copy of the values for the conjugate gradients), targets, costs, the
    intercept's feature value ``k``."""

    def __init__(self, X: Any, Y: np.ndarray, costs: np.ndarray, scale: float) -> None:
        self.X = sp.csc_matrix(X, dtype=np.float64)
        self.X.sort_indices()
        self.XT = self.X.T
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

    def residuals(self, Z: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The loss's derivative in the margins (R) and second derivative (D), per row."""
        sig = expit(Z)
        Cc = self.costs[:, cols]
        return Cc * (sig - self.Y[:, cols]), Cc * sig * (1.0 - sig)


def _dots(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Column-wise dot products of two (rows x labels) arrays."""
    return np.einsum("ij,ij->j", A, B, dtype=np.float64)


class _Features:
    """The weights as they are: ``W`` (features x labels)."""

    def __init__(self, pb: _Problem, L: int, init) -> None:
        self.pb = pb
        if init is None:
            self.W = np.zeros((pb.X.shape[1], L))
        else:
            self.W = np.array(init[0], dtype=np.float64).T.copy()

    def margins(self) -> np.ndarray:
        return np.asarray(self.pb.X @ self.W)

    def gradient(self, R: np.ndarray, cols: np.ndarray):
        """The weights' gradient given the residuals of ``cols``, the gradient in the
        metric's terms (here itself) and its squared norm."""
        G = np.asarray(self.pb.XT @ R)
        G += self.W[:, cols]
        return G, G, _dots(G, G)

    def direction(self, G, MG, gb, D):
        """The Newton direction (weights, intercepts, margins) by conjugate gradients."""
        del MG
        return _cg(self.pb, G, gb, D, _CG_TOL)

    def quadratics(self, cols, step, G):
        """``w.w``, ``w.p``, ``p.p`` and ``g.p`` per label (weights only)."""
        W, P = self.W[:, cols], step[0]
        return _dots(W, W), _dots(W, P), _dots(P, P), _dots(G, P)

    def move(self, cols, t, step) -> None:
        self.W[:, cols] += t * step[0]

    def coef(self) -> np.ndarray:
        return self.W.T.copy()


class _Rows:
    """The weights as combinations of the rows, ``W = X.T @ A`` (rows x labels), with the
    rows' Gram matrix ``K = X X.T``: from zero every gradient and direction stays in that
    span, so every step works on ``rows x labels`` arrays and one ``rows x rows`` product.
    Faster than ``_Features`` when the Gram matrix is smaller than the weights (few rows,
    many features and labels: a SemEval-sized training set)."""

    def __init__(self, pb: _Problem, L: int) -> None:
        self.pb = pb
        n = pb.X.shape[0]
        self.K = (pb.X @ pb.XT).toarray()
        self.A = np.zeros((n, L))
        self.KA = np.zeros((n, L))

    def margins(self) -> np.ndarray:
        return self.KA.copy()

    def gradient(self, R: np.ndarray, cols: np.ndarray):
        """The gradient as row coefficients ``G = A + R``, ``K G`` and the squared norm
        ``G' K G``."""
        G = self.A[:, cols] + R
        KG = self.KA[:, cols] + self.K @ R
        return G, KG, _dots(G, KG)

    def direction(self, G, KG, gb, D):
        """The Newton direction (row coefficients, intercepts, margins, ``K Q``)."""
        return _cg_rows(self.pb, self.K, (G, KG), gb, D, _CG_TOL)

    def quadratics(self, cols, step, G):
        A, KA, (Q, _qb, _XP, KQ) = self.A[:, cols], self.KA[:, cols], step
        return _dots(A, KA), _dots(A, KQ), _dots(Q, KQ), _dots(G, KQ)

    def move(self, cols, t, step) -> None:
        Q, _qb, _XP, KQ = step
        self.A[:, cols] += t * Q
        self.KA[:, cols] += t * KQ

    def coef(self) -> np.ndarray:
        return np.asarray(self.pb.XT @ self.A).T.copy()


def _cg_rows(pb: _Problem, K, grad, gb, D, tol_rel: float):
    """``_cg`` on row coefficients: directions ``X.T @ Q``, norms through ``K``; one product
    with ``K`` per step. Returns ``Q``, the intercepts, ``X @ p`` and ``K @ Q``."""
    G, KG = grad
    k = G.shape[1]
    Q_out, XP_out, KQ_out = (np.zeros(G.shape) for _ in range(3))
    qb_out = np.zeros(k)
    idx = np.arange(k)
    Rc, KR, rb = -G, -KG, -gb
    Dc, KD, db = Rc.copy(), KR.copy(), rb.copy()
    Q, KQ, XP, qb = np.zeros_like(Rc), np.zeros_like(Rc), np.zeros_like(Rc), np.zeros(k)
    rr = _dots(Rc, KR) + rb * rb
    stop2 = (tol_rel * tol_rel) * (_dots(G, KG) + gb * gb)
    for _ in range(_MAX_CG):
        go = rr > stop2
        if not go.all():
            done = ~go
            for out, cur in ((Q_out, Q), (XP_out, XP), (KQ_out, KQ)):
                out[:, idx[done]] = cur[:, done]
            qb_out[idx[done]] = qb[done]
            if not go.any():
                return Q_out, qb_out, XP_out, KQ_out
            idx, Rc, KR, rb, Dc, KD, db, Q, KQ, XP, qb, D, rr, stop2 = (
                a[..., go] for a in (idx, Rc, KR, rb, Dc, KD, db, Q, KQ, XP, qb, D, rr, stop2)
            )
        XD = KD + pb.k * db
        DXD = D * XD
        HD = Dc + DXD
        HDb = db + pb.k * DXD.sum(axis=0)
        KHD = KD + K @ DXD
        alpha = rr / (_dots(Dc, KHD) + db * HDb)
        Q += alpha * Dc
        KQ += alpha * KD
        XP += alpha * XD
        qb += alpha * db
        Rc -= alpha * HD
        KR -= alpha * KHD
        rb = rb - alpha * HDb
        rr_new = _dots(Rc, KR) + rb * rb
        beta = rr_new / rr
        rr = rr_new
        Dc = Rc + beta * Dc
        KD = KR + beta * KD
        db = rb + beta * db
    Q_out[:, idx], qb_out[idx], XP_out[:, idx], KQ_out[:, idx] = Q, qb, XP, KQ
    return Q_out, qb_out, XP_out, KQ_out


def use_rows(n: int, d: int, L: int) -> bool:
    """Whether the row-space form (``_Rows``) serves a problem of ``n`` rows, ``d`` features
    and ``L`` labels: its Gram matrix is no larger than the weights, and at most
    ``_MAX_GRAM_ROWS`` rows (a few hundred MB)."""
    return n * n <= d * L and n <= _MAX_GRAM_ROWS


#: Most rows the row-space form is used for (its Gram matrix: rows^2 doubles).
_MAX_GRAM_ROWS = 4096


def _line_search(pb: _Problem, Z, XP, quad, f, cols):
    """Backtracking (Armijo) step per label from margins ``Z`` along ``XP`` (the step's margins);
    ``quad``: ``w.w``, ``w.p``, ``p.p`` and the slope ``g.p`` (weights and intercept);
    ``f`` the objective now. The objective at a step needs only the margins ``Z + t XP`` (no
    pass over the matrix). Returns the steps (0 where no step of ``_MAX_HALVINGS`` halvings
    decreased the objective enough) and the objective after them."""
    ww, wp, pp, slope = quad
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
    t[todo] = 0.0  # no decrease found: the label stays at its best point
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
    optimum (``_TOL_SHARE``). ``init``: ``(coef, intercept)`` to start from (e.g. the models of
    a superset of the rows), for the feature form only (the row form, ``use_rows``, starts from
    zero: its first step is cheap); the stopping rule is still relative to the gradient at
    zero, as liblinear's. A label stops when it meets the rule (``converged``), at ``max_iter``
    or when its line search finds no decrease (``stalled``: the rule asks for more than the
    arithmetic gives, e.g. a tiny ``tol``); its weights are then the best it reached.
    """
    Y = np.asarray(Y)
    n, L = Y.shape
    pos = Y.sum(axis=0)
    if np.any(pos == 0) or np.any(pos == n):
        raise ValueError("every label needs positive and negative rows")
    pb = _Problem(X, Y, label_costs(Y, C, class_weight), intercept_scaling)
    everything = np.arange(L)
    if use_rows(n, pb.X.shape[1], L):
        space: _Rows | _Features = _Rows(pb, L)
        init = None
    else:
        space = _Features(pb, L, init)
    # liblinear stops when the gradient norm is at most eps of its norm at zero.
    R0 = pb.residuals(np.zeros((n, L)), everything)[0]
    g0 = np.asarray(pb.XT @ R0)
    gb0 = pb.k * R0.sum(axis=0)
    share = _TOL_SHARE * tol * np.maximum(np.minimum(pos, n - pos), 1) / n
    stop2 = (share * share) * (_dots(g0, g0) + gb0 * gb0)
    b = np.zeros(L) if init is None else np.asarray(init[1], dtype=np.float64) / pb.k
    Z = space.margins() + pb.k * b
    ww = space.quadratics(everything, (np.zeros((1, L)),) * 4, np.zeros((1, L)))[0]
    f = 0.5 * (ww + b * b) + pb.loss(Z, everything)
    n_iter = np.zeros(L, dtype=np.int32)
    converged = np.zeros(L, dtype=bool)
    stalled = np.zeros(L, dtype=bool)
    active = everything
    while len(active):
        R, D = pb.residuals(Z[:, active], active)
        G, MG, gg = space.gradient(R, active)
        gb = b[active] + pb.k * R.sum(axis=0)
        done = gg + gb * gb <= stop2[active]
        converged[active[done]] = True
        go = ~done & (n_iter[active] < max_iter)
        if not go.all():
            active, D, G, MG, gb = active[go], D[:, go], G[:, go], MG[:, go], gb[go]
            if not len(active):
                break
        step = space.direction(G, MG, gb, D)
        pbias, XP = step[1], step[2]
        ww, wp, pp, slope = space.quadratics(active, step, G)
        bb = b[active]
        quad = (ww + bb * bb, wp + bb * pbias, pp + pbias * pbias, slope + gb * pbias)
        t, f_new = _line_search(pb, Z[:, active], XP, quad, f[active], active)
        space.move(active, t, step)
        b[active] += t * pbias
        Z[:, active] += t * XP
        n_iter[active] += 1
        moved = t > 0
        f[active[moved]] = f_new[moved]
        # No decrease along a descent direction: the label cannot get nearer the rule (the
        # arithmetic's precision); it stops there, not converged.
        stalled[active[~moved]] = True
        active = active[moved]
    return BatchedResult(space.coef(), pb.k * b, n_iter, converged, stalled)

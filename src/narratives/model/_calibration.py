"""Platt scaling fitted on out-of-fold decision values (the ``oof_sigmoid`` calibration).

``CalibratedClassifierCV`` refits every label model on inner folds to calibrate it (``cv + 1``
fits per label, and again inside every threshold fold). The threshold folds already give each
training row a decision value from a model that did not see it; a sigmoid fitted on those values
calibrates the final model with no extra fit. Same family of calibrator (Platt's sigmoid, with
his smoothed targets), about four times fewer fits.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit

__all__ = ["fit_sigmoid"]


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

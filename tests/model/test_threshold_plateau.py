"""``NarrativeClassifier(threshold_plateau=...)``: the cautious end of a flat F-beta curve."""

import numpy as np
import pytest

from narratives import InputError
from narratives.model import NarrativeClassifier
from narratives.model._deciding import fill_classifier_defaults
from narratives.model._label_models import _best_threshold


def _flat(seed: int, n: int = 6000):
    """Out-of-fold-like scores whose F-beta is flat over a wide range of cuts: positives spread
    over the upper half, negatives thinning out towards the top."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(int)
    p = np.where(y == 1, rng.uniform(0.3, 1.0, n), rng.beta(1.2, 6.0, n))
    return p, y


def _fbeta(p, y, t, beta=0.75):
    sel = p >= t
    tp = int((sel & (y == 1)).sum())
    return (1 + beta**2) * tp / max(sel.sum() + beta**2 * y.sum(), 1)


def test_plateau_zero_is_the_argmax_search():
    p, y = _flat(0)
    assert _best_threshold(p, y, 0.1, 0.9, 0.75, plateau=0.0) == _best_threshold(
        p, y, 0.1, 0.9, 0.75
    )


def test_plateau_takes_the_highest_cut_within_the_share_of_the_best():
    p, y = _flat(1)
    t0, _ = _best_threshold(p, y, 0.0, 1.0, 0.75)
    t, _ = _best_threshold(p, y, 0.0, 1.0, 0.75, plateau=0.05)
    assert t > t0
    assert _fbeta(p, y, t) >= 0.95 * _fbeta(p, y, t0) - 1e-9
    # no cut that selects fewer rows is still within the share
    higher = np.unique(p[p > p[p >= t].min()])[:50]
    assert all(_fbeta(p, y, h) < 0.95 * _fbeta(p, y, t0) + 1e-9 for h in higher)


def test_plateau_threshold_moves_less_when_the_folds_change():
    # the same rows scored by other threshold folds: each score jittered
    p, y = _flat(2)
    rng = np.random.default_rng(3)
    argmax, plateau = [], []
    for _ in range(15):
        q = np.clip(p + rng.normal(0, 0.04, len(p)), 0, 1)
        argmax.append(_best_threshold(q, y, 0.1, 0.95, 0.75)[0])
        plateau.append(_best_threshold(q, y, 0.1, 0.95, 0.75, plateau=0.02)[0])
    assert np.std(plateau) < np.std(argmax)


def test_threshold_plateau_out_of_range_is_an_input_error():
    X = np.random.default_rng(0).random((40, 5))
    y = [["artificial_state"] if i % 4 == 0 else [] for i in range(40)]
    with pytest.raises(InputError, match="threshold_plateau"):
        NarrativeClassifier(threshold_plateau=1.5, threshold_cv=2).fit(X, y)


def test_models_saved_before_the_parameter_keep_the_argmax_search():
    assert fill_classifier_defaults({})["threshold_plateau"] == 0.0

"""The threshold folds' label models: each fold's rows are sliced once for all its labels
(``model._calibration.fold_rows``, issue 12), and the models fitted on them, the out-of-fold
probabilities, the calibrators and the thresholds equal those of the plain version, which
sliced ``X[tr]`` and ``Y[tr, j]`` for every label."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from narratives import make_pipeline
from narratives.model import NarrativeClassifier
from narratives.model import _calibration as cal
from narratives.model import _classifier as clf_module
from narratives.model._calibration import fit_sigmoid
from narratives.model._label_models import _fit_one, _labels_matrix

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    """Written corpus passages (parts 01-03: every frame, both stances, frame-free passages)."""
    rows = [
        json.loads(line)
        for part in ("01", "02", "03")
        for line in (ROOT / "data" / "corpus" / f"part-{part}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    df = pd.DataFrame(rows)
    X = sp.csr_matrix(Pipeline(make_pipeline().steps[:-1]).fit_transform(df["text"].tolist()))
    return X, df


def _label_matrix(clf: NarrativeClassifier, frames) -> np.ndarray:
    Yf = _labels_matrix(frames, clf.fine_labels_, clf.none_label_)
    Yn = (Yf.sum(axis=1, keepdims=True) == 0).astype(np.int8)
    return np.hstack([Yf, clf._coarse_from_fine(Yf), Yn])


def _plain_fold_models(clf: NarrativeClassifier, X, Y, groups, calibration=None, cv=0):
    """The plain version: ``X[tr]`` and ``Y[tr, j]`` sliced anew for every label model."""
    return [
        (te, j, _fit_one(clf._base(), X[tr], Y[tr, j], calibration, cv, clf.random_state))
        for tr, te in clf._folds(X.shape[0], groups)
        for j in range(Y.shape[1])
    ]


@pytest.mark.parametrize("dual", [True, False], ids=["dual", "primal"])
def test_oof_sigmoid_fold_models_equal_the_plain_ones(corpus, monkeypatch, dual):
    X, df = corpus
    groups = [i // 3 for i in range(X.shape[0])]
    seen = []
    fit_one = cal._fit_one

    def recording(base, X_tr, y, *args):
        seen.append((X_tr, np.array(y)))
        return fit_one(base, X_tr, y, *args)

    monkeypatch.setattr(cal, "_fit_one", recording)
    clf = NarrativeClassifier(threshold_cv=3, dual=dual).fit(
        X, df["frames"].tolist(), stance=df["stance"].tolist(), groups=groups
    )
    Y = _label_matrix(clf, df["frames"].tolist())
    folds = clf._folds(X.shape[0], groups)
    assert len(seen) == len(folds) * Y.shape[1]
    # One slice of X per fold, shared by the fold's label models, equal to the plain slices.
    assert len({id(x) for x, _y in seen}) == len(folds)
    for k, (X_tr, y) in enumerate(seen):
        tr = folds[k // Y.shape[1]][0]
        assert (X_tr != X[tr]).nnz == 0 and np.array_equal(X_tr.indptr, X[tr].indptr)
        assert np.array_equal(y, Y[tr, k % Y.shape[1]])

    plain = _plain_fold_models(clf, X, Y, groups)
    D = np.zeros(Y.shape)
    free = np.ones(Y.shape, dtype=bool)
    for te, j, est in plain:
        if isinstance(est, LogisticRegression):
            D[te, j] = est.decision_function(X[te])
        else:
            free[te, j] = False
    for j, est in enumerate(clf.estimators_):
        if isinstance(est, LogisticRegression) and 0 < Y[free[:, j], j].sum() < free[:, j].sum():
            expected = fit_sigmoid(D[free[:, j], j], Y[free[:, j], j])
            assert tuple(clf.calibrators_[j]) == expected
        else:
            assert np.isnan(clf.calibrators_[j]).all()


def test_v1_calibration_out_of_fold_equals_the_plain_version(corpus, monkeypatch):
    """``calibration="sigmoid"`` (``_oof``: ``CalibratedClassifierCV`` inside every fold)."""
    X, df = corpus
    X, frames = X[:240], df["frames"].tolist()[:240]
    captured = {}
    oof = clf_module.NarrativeClassifier._oof

    def capture(self, X_, Y_, groups):
        captured["oof"] = out = oof(self, X_, Y_, groups)
        return out

    monkeypatch.setattr(clf_module.NarrativeClassifier, "_oof", capture)
    clf = NarrativeClassifier(threshold_cv=3, calibration="sigmoid").fit(X, frames)
    Y = _label_matrix(clf, frames)
    expected = np.zeros(Y.shape)
    for te, j, est in _plain_fold_models(clf, X, Y, None, "sigmoid", clf.calibration_cv):
        expected[te, j] = (
            est.predict_proba(X[te])[:, 1]
            if est is not None and not isinstance(est, float)
            else np.full(len(te), 0.0 if est is None else est)
        )
    assert np.array_equal(captured["oof"], expected)

"""The batched solver (``NarrativeClassifier(solver="batched")``, ``model._batched``) against
the plain version, one liblinear ``LogisticRegression`` per label (``_fit_one``): the same
objective (C, balanced class weights, the intercept regularised as a feature of value
``intercept_scaling``), so close weights, probabilities within 1e-3 and the same decisions, on
the default taxonomy's labels and on a SemEval-sized label set (94 fine / 22 coarse, rare
labels with 1-3 positives, labels with no positive and with no negative), with long and empty
documents, on batches of more than 1,000 rows. Then the classifier end to end: thresholds,
decisions, saving and the lean twin, models saved before the parameter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from skops import io as sio

import narratives
from narratives import InputError, make_pipeline
from narratives.model import NarrativeClassifier, _batched
from narratives.model._batched import fit_batched, label_costs, use_rows
from narratives.model._label_models import _fit_one, fit_label_columns, resolve_solver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    """Written corpus passages (parts 01-06: every frame, both stances, frame-free passages;
    more than 1,000 rows), their features, and a held-out quarter."""
    rows = [
        json.loads(line)
        for part in ("01", "02", "03", "04", "05", "06")
        for line in (ROOT / "data" / "corpus" / f"part-{part}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    df = pd.DataFrame(rows)
    X = sp.csr_matrix(Pipeline(make_pipeline().steps[:-1]).fit_transform(df["text"].tolist()))
    test = np.arange(len(df)) % 4 == 3
    return X, df, test


def _with_long_and_empty(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with 5 empty documents (no feature) and 5 long ones (the sum of 40 rows each,
    L2-normalised like a TF-IDF row of a long text) appended."""
    rng = np.random.default_rng(0)
    long = sp.csr_matrix(
        np.vstack([X[rng.choice(X.shape[0], 40, replace=False)].sum(axis=0).A1 for _ in range(5)])
    )
    long = sp.diags(1.0 / np.sqrt(long.multiply(long).sum(axis=1)).A1) @ long
    return sp.vstack([X, sp.csr_matrix((5, X.shape[1])), long], format="csr")


def _semeval_sized(X: sp.csr_matrix) -> np.ndarray:
    """117 label columns (94 fine, 22 coarse, none) on the rows of ``X``, each a real signal of
    the features (a random direction's top rows) at a SemEval-like prevalence: rare labels with
    1, 2 or 3 positives, labels with none and with all rows positive."""
    rng = np.random.default_rng(1)
    n = X.shape[0]
    S = X @ rng.standard_normal((X.shape[1], 117)) + 0.3 * rng.standard_normal((n, 117))
    counts = np.r_[
        [0, 0, 1, 1, 2, 2, 3, 3, n],
        rng.integers(4, 20, 60),
        rng.integers(20, 120, 40),
        rng.integers(120, n // 2, 8),
    ]
    Y = np.zeros((n, 117), dtype=np.int8)
    for j, c in enumerate(counts):
        Y[np.argsort(-S[:, j])[:c], j] = 1
    return Y


@pytest.fixture(params=["features", "rows"])
def form(request, monkeypatch):
    """Both forms of the solver (``_batched._Features``, ``_batched._Rows``), whichever
    ``use_rows`` would pick for the shape."""
    monkeypatch.setattr(_batched, "use_rows", lambda n, d, L: request.param == "rows")
    return request.param


def test_the_form_follows_the_shape():
    assert use_rows(399, 25_911, 117)  # SemEval English: the Gram matrix is the smaller
    assert not use_rows(8_272, 121_886, 19)  # the default corpus
    assert not use_rows(5_000, 10**7, 117)  # too many rows for a Gram matrix


def _plain(X, Y, base) -> list:
    return [_fit_one(base, X, Y[:, j], None, 0, 0) for j in range(Y.shape[1])]


def _proba(models, X) -> np.ndarray:
    return np.column_stack(
        [
            np.zeros(X.shape[0])
            if m is None
            else np.full(X.shape[0], m)
            if isinstance(m, float)
            else m.predict_proba(X)[:, 1]
            for m in models
        ]
    )


def _assert_same_models(batched, plain, X, max_proba_diff=1e-3):
    assert len(batched) == len(plain)
    for b, p in zip(batched, plain, strict=True):
        assert type(b) is type(p)
        if isinstance(p, LogisticRegression):
            np.testing.assert_array_equal(b.classes_, p.classes_)
            assert b.coef_.shape == p.coef_.shape and b.intercept_.shape == p.intercept_.shape
            rel = np.linalg.norm(b.coef_ - p.coef_) / np.linalg.norm(p.coef_)
            assert rel < 0.01
        else:
            assert b == p
    pb, pp = _proba(batched, X), _proba(plain, X)
    assert np.abs(pb - pp).max() < max_proba_diff
    same_rows = ((pb >= 0.5) == (pp >= 0.5)).all(axis=1)
    assert same_rows.mean() >= 0.999


@pytest.mark.parametrize("dual", [True, False], ids=["dual", "primal"])
def test_default_taxonomy_labels_equal_liblinear(corpus, dual, form):
    X, df, _test = corpus
    X = _with_long_and_empty(X)
    clf = NarrativeClassifier()
    clf.fit(X[:60], [[]] * 60)  # the label lists of the default taxonomy
    frames = df["frames"].tolist() + [[]] * 5 + [["artificial_state"]] * 5
    Y = _label_matrix(clf, frames)
    assert Y.shape == (X.shape[0], 19) and X.shape[0] >= 1000
    base = NarrativeClassifier(C=30.0)._base().set_params(dual=dual)
    _assert_same_models(fit_label_columns(base, X, Y), _plain(X, Y, base), X)


def _label_matrix(clf: NarrativeClassifier, frames) -> np.ndarray:
    from narratives.model._label_models import _labels_matrix

    Yf = _labels_matrix(frames, clf.fine_labels_, clf.none_label_)
    Yn = (Yf.sum(axis=1, keepdims=True) == 0).astype(np.int8)
    return np.hstack([Yf, clf._coarse_from_fine(Yf), Yn])


def test_semeval_sized_labels_equal_liblinear(corpus, form):
    X, _df, _test = corpus
    X = _with_long_and_empty(X)
    Y = _semeval_sized(X)
    pos = Y.sum(axis=0)
    assert (
        (pos == 0).sum() == 2
        and (pos == len(Y)).sum() == 1
        and ((pos >= 1) & (pos <= 3)).sum() == 6
    )
    base = NarrativeClassifier()._base().set_params(dual=True)
    batched, plain = fit_label_columns(base, X, Y), _plain(X, Y, base)
    assert batched[0] is None and batched[8] == 1.0
    _assert_same_models(batched, plain, X)


@pytest.mark.parametrize(
    ("class_weight", "scaling"), [(None, 1.0), ({0: 1.0, 1: 5.0}, 1.0), ("balanced", 10.0)]
)
def test_the_objective_is_liblinears(corpus, class_weight, scaling, form):
    """Other class weights and a larger intercept feature: the intercept is regularised as
    liblinear regularises it (a solver with a free intercept gives other models here)."""
    X, df, _test = corpus
    y = np.array([bool(f) for f in df["frames"]], dtype=np.int8)
    Y = np.column_stack([y, 1 - y, (np.arange(len(y)) % 7 == 0).astype(np.int8)])
    # The dual: liblinear's primal stops where probabilities can be 3e-3 from the optimum.
    base = LogisticRegression(
        C=3.0,
        class_weight=class_weight,
        solver="liblinear",
        dual=True,
        intercept_scaling=scaling,
        max_iter=2000,
    )
    _assert_same_models(fit_label_columns(base, X, Y), _plain(X, Y, base), X)


def test_label_costs():
    """Per row, C times its class's weight as scikit-learn computes it for liblinear."""
    from sklearn.utils.class_weight import compute_class_weight

    Y = np.array([[1, 0], [0, 0], [0, 1], [0, 1], [0, 0], [0, 1]])
    for cw in ("balanced", {0: 1.0, 1: 5.0}):
        want = np.column_stack(
            [
                2.0 * compute_class_weight(cw, classes=np.array([0, 1]), y=Y[:, j])[Y[:, j]]
                for j in range(2)
            ]
        )
        np.testing.assert_allclose(label_costs(Y, 2.0, cw), want)
    np.testing.assert_allclose(label_costs(Y, 2.0, None), np.full(Y.shape, 2.0))
    with pytest.raises(ValueError, match="not supported"):
        label_costs(Y, 1.0, "other")
    with pytest.raises(ValueError, match="positive and negative"):
        fit_batched(sp.csr_matrix(np.eye(6)), np.c_[Y, np.zeros(6)], 1.0)


def test_stopping_at_max_iter_warns_as_liblinear_does(corpus):
    from sklearn.exceptions import ConvergenceWarning

    X, df, _test = corpus
    Y = np.array([[bool(f)] for f in df["frames"]], dtype=np.int8)
    base = LogisticRegression(C=30.0, class_weight="balanced", solver="liblinear", max_iter=1)
    with pytest.warns(ConvergenceWarning, match="stopped 1 label models at max_iter=1"):
        (est,) = fit_label_columns(base, X, Y)
    assert est.n_iter_[0] == 1


def _small_problem() -> tuple[sp.csr_matrix, np.ndarray]:
    """200 rows, 300 features, 4 labels from 1% to 50% positive: quick to fit."""
    rng = np.random.default_rng(0)
    X = sp.random(200, 300, density=0.05, random_state=0, format="csr")
    Y = (rng.random((200, 4)) < [0.05, 0.2, 0.5, 0.01]).astype(np.int8)
    Y[0, 3] = 1
    return X, Y


def test_no_decrease_before_the_tolerance_is_not_convergence(form):
    """A tolerance beyond the arithmetic: every label stops where its line search finds no
    decrease, not converged, and the fit warns naming them (liblinear warns when it stops
    before its tolerance)."""
    from sklearn.exceptions import ConvergenceWarning

    X, Y = _small_problem()
    res = fit_batched(X, Y, 10.0, tol=1e-30)
    assert not res.converged.any()
    assert res.stalled.all() and (res.n_iter < 2000).all()
    base = LogisticRegression(
        C=10.0, class_weight="balanced", solver="liblinear", tol=1e-30, max_iter=2000
    )
    with pytest.warns(ConvergenceWarning) as caught:
        models = fit_label_columns(base, X, Y, labels=["a", "b", "c", "d"])
    (message,) = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert "stopped 4 label models where its line search found no decrease" in message
    assert "before its tolerance (tol=1e-30): a, b, c, d;" in message
    assert all(isinstance(m, LogisticRegression) for m in models)
    # Within its tolerance the same problem converges, silently.
    assert fit_batched(X, Y, 10.0).converged.all()


def test_the_classifier_names_the_labels_that_stopped_early(monkeypatch):
    """A line search that never finds a decrease (no halving allowed): the classifier's warning
    names its label columns (fine, coarse, none)."""
    from sklearn.exceptions import ConvergenceWarning

    monkeypatch.setattr(_batched, "_MAX_HALVINGS", 0)
    X = sp.random(60, 200, density=0.1, random_state=0, format="csr")
    clf = NarrativeClassifier(solver="batched", threshold_cv=0, calibration=None)
    frames = [["artificial_state"]] * 20 + [[]] * 40
    with pytest.warns(ConvergenceWarning, match="line search found no decrease") as caught:
        clf.fit(X, frames)
    (message,) = [str(w.message) for w in caught if "line search" in str(w.message)]
    parent = clf.parents_["artificial_state"]
    assert f": artificial_state, {parent}, {clf.none_label_};" in message


def test_a_warm_start_reaches_the_same_models(corpus):
    X, _df, test = corpus
    Y = _semeval_sized(X)[:, 9:40]
    cold = fit_batched(X, Y, 10.0)
    # From the models of all rows, on three quarters of them (as the threshold folds start).
    tr = ~test
    a = fit_batched(X[tr], Y[tr], 10.0)
    b = fit_batched(X[tr], Y[tr], 10.0, init=(cold.coef, cold.intercept))
    assert a.converged.all() and b.converged.all()
    assert b.n_iter.sum() < a.n_iter.sum()
    za, zb = X @ a.coef.T + a.intercept, X @ b.coef.T + b.intercept
    assert np.abs(1 / (1 + np.exp(-za)) - 1 / (1 + np.exp(-zb))).max() < 1e-3


# --------------------------------------------------------------------------- the classifier
@pytest.fixture(scope="module")
def fitted(corpus):
    X, df, test = corpus
    tr = ~test
    out = {}
    for solver in ("liblinear", "batched"):
        clf = NarrativeClassifier(threshold_cv=3, solver=solver)
        out[solver] = clf.fit(
            X[tr], df.loc[tr, "frames"].tolist(), stance=df.loc[tr, "stance"].tolist()
        )
    return out


def test_the_classifier_decides_as_with_liblinear(corpus, fitted):
    X, _df, test = corpus
    a, b = fitted["liblinear"], fitted["batched"]
    assert a.solver_ == "liblinear" and b.solver_ == "batched"
    models = [e for e in b.estimators_ if isinstance(e, LogisticRegression)]
    assert models and all(e.solver == "liblinear" and e.dual is b.dual_ for e in models)
    Xt = X[test]
    pa, pb = a.predict_proba_all(Xt), b.predict_proba_all(Xt)
    assert np.abs(pa - pb).max() < 1e-3
    for lab, t in a.thresholds_.items():
        assert abs(b.thresholds_[lab] - t) < 0.01, lab
    np.testing.assert_allclose(b.calibrators_, a.calibrators_, atol=0.01, rtol=0.01)
    same = [x == y for x, y in zip(a.decide(Xt).frames, b.decide(Xt).frames, strict=True)]
    assert np.mean(same) >= 0.99


def _shaped(n: int, d: int, nnz: int) -> sp.csr_matrix:
    """A matrix of ``n x d`` with ``nnz`` nonzeros, spread evenly over the rows: all that
    ``resolve_solver`` reads (``sp.random`` of the corpus's size took 90 s)."""
    per_row = nnz // n
    indptr = np.arange(n + 1) * per_row
    indices = np.arange(n * per_row) % d
    return sp.csr_matrix((np.ones(n * per_row), indices, indptr), shape=(n, d))


def test_auto_picks_the_batched_solver_where_it_was_faster():
    semeval = _shaped(399, 25_911, 176_000)
    corpus_quarter = _shaped(2_068, 56_167, 1_100_000)
    corpus = _shaped(8_272, 121_886, 4_500_000)
    assert resolve_solver("auto", "oof_sigmoid", semeval, 117) == "batched"
    assert resolve_solver("auto", "oof_sigmoid", corpus_quarter, 19) == "liblinear"
    assert resolve_solver("auto", "oof_sigmoid", corpus, 19) == "batched"
    assert resolve_solver("auto", "sigmoid", corpus, 19) == "liblinear"
    assert NarrativeClassifier().get_params()["solver"] == "auto"  # new models


def test_auto_does_not_depend_on_n_jobs_or_the_machine(monkeypatch):
    """The same data and seed give the same model everywhere: ``auto`` looks at the data only,
    not at ``n_jobs``, the cores or an ambient ``joblib.parallel_config`` (a rule that did,
    picked liblinear for the corpus with two workers, the slower solver on 2 cores)."""
    import joblib

    X = sp.random(60, 2_000, density=0.02, random_state=0, format="csr")
    frames = [["artificial_state"]] * 20 + [[]] * 40
    solvers = set()
    for cores in (2, 8):
        monkeypatch.setattr(joblib, "cpu_count", lambda *_a, _c=cores, **_k: _c)
        with joblib.parallel_config(backend="threading", n_jobs=cores):
            for n_jobs in (None, 1, 3, -1):
                clf = NarrativeClassifier(threshold_cv=0, calibration=None, n_jobs=n_jobs)
                solvers.add(clf.fit(X, frames).solver_)
    assert solvers == {"batched"}  # 60 rows x 2,000 features: the row form


def test_auto_counts_only_the_label_columns_that_are_fitted():
    """Columns with no positive (or no negative) get stand-ins from either solver, not a model
    of the batched solver: ``auto`` weighs the row form by the labels fitted. 100 rows and
    1,000 features: the Gram matrix (100^2) is smaller than the weights of the 19 columns of
    the default taxonomy (19,000) but not of the 3 with positives and negatives (3,000), which
    the batched solver would fit in the feature form, where it was not measured faster."""
    X = sp.random(100, 1_000, density=0.02, random_state=0, format="csr")
    frames = [["artificial_state"]] * 30 + [[]] * 70
    clf = NarrativeClassifier(threshold_cv=0, calibration=None).fit(X, frames)
    pos = _label_matrix(clf, frames).sum(axis=0)
    assert len(pos) == 19 and ((pos > 0) & (pos < 100)).sum() == 3
    assert use_rows(100, 1_000, 19) and not use_rows(100, 1_000, 3)
    assert clf.solver_ == "liblinear"
    assert [e is None for e in clf.estimators_].count(False) == 3


def test_fitted_columns():
    from narratives.model._label_models import fitted_columns

    Y = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 1, 0]])
    np.testing.assert_array_equal(fitted_columns(Y), [0, 3])  # not: no positive, no negative
    models = fit_label_columns(LogisticRegression(solver="liblinear"), sp.eye(3).tocsr(), Y)
    assert models[1] is None and models[2] == 1.0
    assert [isinstance(m, LogisticRegression) for m in models] == [True, False, False, True]


def test_cv_calibration_keeps_liblinear():
    assert resolve_solver("batched", "sigmoid") == "liblinear"
    assert resolve_solver("batched", "oof_sigmoid") == "batched"
    assert resolve_solver("batched", None) == "batched"
    assert resolve_solver("liblinear", None) == "liblinear"
    with pytest.raises(InputError, match="solver must be one of"):
        resolve_solver("newton", None)


def test_a_batched_model_saves_and_tags_with_the_lean_twin(tmp_path, tiny_df):
    model = narratives.train(
        tiny_df, seed=0, params={"classifier__threshold_cv": 2, "classifier__solver": "batched"}
    )
    assert model.pipeline.classifier.solver_ == "batched"
    model.save(tmp_path / "m")
    loaded = narratives.load(tmp_path / "m")
    assert type(loaded.decider).__name__.startswith("Lean")  # tagged without scikit-learn
    texts = tiny_df["text"].tolist()
    a, b = model.pipeline.decide(texts), loaded.decider.decide(texts)
    np.testing.assert_allclose(a["proba_fine"], b["proba_fine"], atol=1e-12)
    assert a["frames"] == b["frames"]
    assert clone(loaded.pipeline).get_params()["classifier__solver"] == "batched"


def test_classifiers_saved_before_the_parameter_keep_liblinear(corpus, fitted):
    clf = fitted["liblinear"]
    old = NarrativeClassifier.__new__(NarrativeClassifier)
    old.__dict__.update({k: v for k, v in clf.__dict__.items() if k not in ("solver", "solver_")})
    data = sio.dumps(old)
    old = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert old.get_params()["solver"] == "liblinear"
    assert clone(old).solver == "liblinear"  # retrained from its parameters: liblinear again
    X, _df, test = corpus
    a, b = clf.decide(X[test]), old.decide(X[test])
    np.testing.assert_array_equal(a.proba_fine, b.proba_fine)
    assert a.frames == b.frames


def test_without_calibration_the_threshold_folds_are_batched_too(corpus, monkeypatch):
    """``calibration=None`` (threshold folds through ``_oof``, not ``oof_sigmoid``): the folds'
    label models come from the batched solver as the final ones do, not from liblinear."""
    from narratives.model import _calibration, _classifier

    def no_liblinear(*_a, **_k):
        raise AssertionError("a label model was fitted by liblinear")

    monkeypatch.setattr(_classifier, "_fit_one", no_liblinear)
    monkeypatch.setattr(_calibration, "_fit_one", no_liblinear)
    X, df, test = corpus
    tr = np.flatnonzero(~test)[:400]
    clf = NarrativeClassifier(calibration=None, threshold_cv=2, solver="batched")
    clf.fit(X[tr], df["frames"].iloc[tr].tolist())
    assert clf.solver_ == "batched" and clf.training_metrics_["oof_macro_f1_fine"] is not None

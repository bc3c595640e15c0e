"""liblinear's formulation (``NarrativeClassifier(dual=...)``): the parameter round-trips, models
saved before it decide (and refit) as before, and the primal and dual fits agree."""

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
from narratives.model import NarrativeClassifier
from narratives.model._label_models import resolve_dual

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    """Written corpus passages (parts 01-04: every frame, both stances, frame-free passages):
    the first 3 of every 4 to fit, the rest held out."""
    rows = [
        json.loads(line)
        for part in ("01", "02", "03", "04")
        for line in (ROOT / "data" / "corpus" / f"part-{part}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    df = pd.DataFrame(rows)
    steps = make_pipeline().steps[:-1]  # preprocess, features
    X = sp.csr_matrix(Pipeline(steps).fit_transform(df["text"].tolist()))
    test = np.arange(len(df)) % 4 == 3
    return X, df, test


def _fit(corpus, **params):
    X, df, test = corpus
    train = ~test
    clf = NarrativeClassifier(threshold_cv=3, **params)
    return clf.fit(
        X[train],
        df.loc[train, "frames"].tolist(),
        stance=df.loc[train, "stance"].tolist(),
    )


@pytest.fixture(scope="module")
def primal(corpus):
    return _fit(corpus, dual=False)


@pytest.fixture(scope="module")
def dual(corpus):
    return _fit(corpus, dual=True)


def test_the_fits_use_the_formulation_asked_for(primal, dual):
    for clf, want in ((primal, False), (dual, True)):
        assert clf.dual_ is want
        models = [e for e in clf.estimators_ if isinstance(e, LogisticRegression)]
        assert models and all(e.dual is want for e in models)
        assert clf.stance_estimator_.dual is want


def test_auto_picks_the_dual_only_with_more_features_than_rows():
    assert resolve_dual("auto", (100, 5000)) is True
    assert resolve_dual("auto", (5000, 100)) is False
    assert resolve_dual("auto", (100, 100)) is False
    assert resolve_dual(True, (5000, 100)) is True and resolve_dual(False, (1, 9)) is False
    with pytest.raises(InputError, match="dual must be"):
        resolve_dual("yes", (1, 2))


def test_auto_on_a_text_matrix(corpus):
    X, _df, test = corpus
    assert X.shape[1] > (~test).sum()  # text: more features than passages
    assert _fit(corpus, dual="auto").dual_ is True


def test_an_unknown_value_is_a_clear_error(corpus):
    with pytest.raises(InputError, match="dual must be True, False or 'auto'"):
        _fit(corpus, dual="fast")


def test_primal_and_dual_give_close_probabilities(corpus, primal, dual):
    """Both minimise the same objective and stop at different points within liblinear's
    tolerance (measured here: held-out probabilities differ by at most 8e-5, thresholds by 1e-5,
    decisions not at all); the bounds leave room for other platforms' floating point."""
    X, _df, test = corpus
    Xt = X[test]
    p, d = primal.predict_proba_all(Xt), dual.predict_proba_all(Xt)
    assert np.abs(p - d).max() < 2e-3
    assert np.abs(p - d).mean() < 1e-4
    same = [a == b for a, b in zip(primal.decide(Xt).frames, dual.decide(Xt).frames, strict=True)]
    assert np.mean(same) >= 0.99
    stance_p, stance_d = primal._scores(Xt)[1], dual._scores(Xt)[1]
    assert np.abs(stance_p - stance_d).max() < 2e-3
    for lab, t in primal.thresholds_.items():
        assert abs(dual.thresholds_[lab] - t) < 0.01, lab


def test_the_parameter_round_trips(tmp_path, tiny_df):
    assert NarrativeClassifier().get_params()["dual"] == "auto"  # new models
    clf = NarrativeClassifier(dual="auto")
    assert clf.get_params()["dual"] == "auto"
    assert clone(clf).dual == "auto"
    assert clf.set_params(dual=True).dual is True
    pipe = make_pipeline(classifier__dual=True)
    assert pipe.get_params()["classifier__dual"] is True
    model = narratives.train(
        tiny_df, seed=0, params={"classifier__threshold_cv": 2, "classifier__dual": True}
    )
    assert model.manifest["params"]["classifier__dual"] == "True"
    model.save(tmp_path / "m")
    loaded = narratives.load(tmp_path / "m")
    clf = loaded.pipeline.classifier
    assert clf.dual is True and clf.dual_ is True
    assert clone(loaded.pipeline).get_params()["classifier__dual"] is True
    texts = tiny_df["text"].tolist()
    a, b = model.pipeline.decide(texts), loaded.pipeline.decide(texts)
    np.testing.assert_array_equal(a["proba_fine"], b["proba_fine"])


def _as_saved_before_the_parameter(clf: NarrativeClassifier) -> NarrativeClassifier:
    """``clf`` written and read back as a model file from before ``dual`` existed."""
    old = NarrativeClassifier.__new__(NarrativeClassifier)
    old.__dict__.update({k: v for k, v in clf.__dict__.items() if k not in ("dual", "dual_")})
    data = sio.dumps(old)
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def test_classifiers_saved_before_the_parameter_decide_identically(corpus, primal):
    X, _df, test = corpus
    old = _as_saved_before_the_parameter(primal)
    assert old.get_params()["dual"] is False
    a, b = primal.decide(X[test]), old.decide(X[test])
    np.testing.assert_array_equal(a.proba_fine, b.proba_fine)
    np.testing.assert_array_equal(a.stance_frames, b.stance_frames)
    assert a.frames == b.frames and a.stances == b.stances


def test_classifiers_saved_before_the_parameter_refit_with_the_primal(corpus, primal):
    """Retraining from an old model's parameters (``train --base``) keeps its formulation, not
    the default of new models (``"auto"``: the dual on text)."""
    X, df, test = corpus
    train = ~test
    refit = clone(_as_saved_before_the_parameter(primal)).fit(
        X[train], df.loc[train, "frames"].tolist(), stance=df.loc[train, "stance"].tolist()
    )
    assert refit.dual_ is False
    np.testing.assert_array_equal(
        refit.predict_proba_all(X[test]), primal.predict_proba_all(X[test])
    )

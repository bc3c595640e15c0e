import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict

from narratives import InputError, Taxonomy, make_pipeline
from narratives.model import NarrativePipeline


@pytest.fixture(scope="module")
def fitted(tiny_df):
    pipe = make_pipeline(classifier__threshold_cv=2, classifier__calibration=None)
    return pipe.fit(
        tiny_df["text"].tolist(), tiny_df["frames"].tolist(), stance=tiny_df["stance"].tolist()
    )


def test_decisions_are_consistent(fitted, tiny_df):
    dec = fitted.decide([*tiny_df["text"].tolist(), "Completely unrelated: the cat slept all day."])
    tax = fitted.taxonomy
    for frames, families, stance in zip(dec["frames"], dec["families"], dec["stance"], strict=True):
        real = [f for f in frames if f != tax.none_label]
        fams = [c for c in families if c != tax.none_label]
        assert set(tax.families_of(real)) <= set(fams)  # a fine label implies its parent
        if not real and not fams:
            assert frames == [tax.none_label] and families == [tax.none_label] and stance == "none"
        else:
            assert stance in ("promotes", "reports")
    assert dec["proba_fine"].shape == (len(tiny_df) + 1, len(tax.fine_labels))


def test_thresholds_are_stored_and_bounded(fitted):
    clf = fitted.classifier
    assert set(clf.thresholds_) == set(clf.fine_labels_ + clf.coarse_labels_)
    assert all(
        clf.threshold_floor <= t <= clf.threshold_ceiling or t == clf.default_threshold
        for t in clf.thresholds_.values()
    )


def test_learns_training_data(fitted, tiny_df):
    pred = fitted.decide(tiny_df["text"].tolist())["frames"]
    hits = sum(set(g or ["none"]) == set(p) for g, p in zip(tiny_df["frames"], pred, strict=True))
    assert hits >= 0.8 * len(tiny_df)


def test_stance_head_trained(fitted):
    assert fitted.classifier.stance_estimator_ is not None
    dec = fitted.decide(
        [
            "Kremlin media claimed, without evidence, that NATO encirclement forced Russia to act, analysts said."
        ]
    )
    assert dec["stance"][0] in ("reports", "none")


def test_unknown_label_is_a_clear_error(tiny_df):
    pipe = make_pipeline(classifier__threshold_cv=0)
    with pytest.raises(InputError, match="not in the taxonomy"):
        pipe.fit(["a b c", "d e f"], [["no_such_frame"], []])


def test_clone_get_params_set_params(fitted):
    c = clone(fitted)
    assert isinstance(c, NarrativePipeline)
    assert not hasattr(c.classifier, "estimators_")
    params = fitted.get_params()
    assert params["classifier__C"] == c.get_params()["classifier__C"]
    c.set_params(classifier__C=0.5, features__char_ngrams=True)
    assert c.classifier.C == 0.5 and c.named_steps["features"].char_ngrams


def test_cross_val_predict_compatible(tiny_df):
    from sklearn.preprocessing import MultiLabelBinarizer

    labels = Taxonomy.default().fine_labels
    Y = MultiLabelBinarizer(classes=labels).fit_transform(tiny_df["frames"])
    pipe = make_pipeline(classifier__threshold_cv=0, classifier__calibration=None)
    P = cross_val_predict(pipe, tiny_df["text"].tolist(), Y, cv=2)
    assert P.shape == Y.shape and set(np.unique(P)) <= {0, 1}


def test_same_seed_same_predictions(tiny_df):
    texts, labels = tiny_df["text"].tolist(), tiny_df["frames"].tolist()
    a = make_pipeline(classifier__threshold_cv=2).fit(
        texts, labels, stance=tiny_df["stance"].tolist()
    )
    b = make_pipeline(classifier__threshold_cv=2).fit(
        texts, labels, stance=tiny_df["stance"].tolist()
    )
    np.testing.assert_array_equal(a.decide(texts)["proba_fine"], b.decide(texts)["proba_fine"])


def test_semeval_style_taxonomy():
    tax = Taxonomy.from_label_pairs(
        [("URW: A: x", "URW: A"), ("URW: A: Other", "URW: A"), ("CC: B: y", "CC: B")],
        none_label="Other",
    )
    texts = ["alpha beta gamma"] * 3 + ["delta epsilon"] * 3 + ["zeta eta"] * 3
    labels = [["URW: A: x"]] * 3 + [["CC: B: y"]] * 3 + [["Other"]] * 3
    pipe = make_pipeline(tax, classifier__threshold_cv=0, classifier__calibration=None).fit(
        texts, labels
    )
    dec = pipe.decide(["alpha beta gamma", "zeta eta"])
    assert dec["frames"][0] == ["URW: A: x"] and dec["families"][0] == ["URW: A"]
    assert dec["frames"][1] == ["Other"]


@pytest.mark.parametrize(
    "calibration",
    ["oof_sigmoid", "sigmoid", None, "isotonic"],
    ids=["oof_sigmoid", "sigmoid", "plain", "isotonic"],
)
def test_stacked_scores_equal_each_models_own(tiny_df, calibration):
    """The one-product fast path equals each label model's own probability, and the per-frame
    stance equals the stance head's own probability on the (passage, frame) pair rows."""
    import scipy.sparse as sp
    from scipy.special import expit

    from narratives.model._deciding import _proba_one
    from narratives.model._stance import pair_matrix

    pipe = make_pipeline(classifier__threshold_cv=2, classifier__calibration=calibration)
    texts = tiny_df["text"].tolist()
    pipe.fit(texts, tiny_df["frames"].tolist(), stance=tiny_df["stance"].tolist())
    clf = pipe.classifier
    X = sp.csr_matrix(pipe.features_of([*texts, "An unrelated sentence about the weather."]))
    if calibration == "oof_sigmoid":
        cols = []
        for j, e in enumerate(clf.estimators_):
            a, b = clf.calibrators_[j]
            if np.isnan(a):
                cols.append(_proba_one(e, X))
            else:
                cols.append(expit(-(a * e.decision_function(X) + b)))
        expected = np.column_stack(cols)
        assert np.allclose(clf.predict_proba_all(X), expected, rtol=0, atol=1e-12)
    else:
        expected = np.column_stack([_proba_one(e, X) for e in clf.estimators_])
        assert np.array_equal(clf.predict_proba_all(X), expected)
    dec = clf.decide(X)
    nf = len(clf.fine_labels_)
    rows = np.arange(X.shape[0])
    for j in range(nf):
        own = clf.stance_estimator_.predict_proba(pair_matrix(X, rows, np.full(len(rows), j), nf))
        assert np.allclose(dec.stance_frames[:, j], own[:, 1], rtol=0, atol=1e-12)


def test_label_lists():
    from narratives.model._deciding import _label_lists

    D = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1], [0, 1, 0]], dtype=np.int8)
    out = _label_lists(D, ["a", "b", "c"], "none")
    assert out == [["a", "c"], ["none"], ["a", "c"], ["b"]]
    assert out[0] is not out[2]  # every row owns its list
    assert _label_lists(np.zeros((0, 3), dtype=np.int8), ["a", "b", "c"], "none") == []


def _plain_label_lists(D, labels, none):
    return [[labels[j] for j in range(D.shape[1]) if D[r, j]] or [none] for r in range(D.shape[0])]


@pytest.mark.parametrize("n_labels", [13, 22, 63, 64, 65, 94, 130, 200])
def test_label_lists_match_plain_version_for_any_label_count(n_labels):
    """Regression: an int64 bit mask broke label lists from 64 labels on (label 63 came back as
    63-69, labels from 64 on as none) while the 0/1 matrix was right."""
    from narratives.model._deciding import _label_lists

    rng = np.random.default_rng(n_labels)
    labels = [f"L{j}" for j in range(n_labels)]
    D = (rng.random((1200, n_labels)) < 0.03).astype(np.int8)
    D[:50] = 0  # rows without labels
    D[50, :] = 1  # a row with every label
    D[51, -1] = 1  # the last label alone
    D[52, min(63, n_labels - 1)] = 1
    assert _label_lists(D, labels, "none") == _plain_label_lists(D, labels, "none")
    # an int64 matrix (as dedup assembles it) gives the same lists
    assert _label_lists(D.astype(np.int64), labels, "none") == _plain_label_lists(D, labels, "none")

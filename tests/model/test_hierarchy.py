"""Document-level decisions over a two-level taxonomy (model._hierarchy), and passage-level
models untouched by them."""

from __future__ import annotations

import numpy as np
import pytest

from narratives import make_pipeline
from narratives._taxonomy import Taxonomy
from narratives.io import semeval_frames
from narratives.model._hierarchy import (
    DecisionShape,
    apply_decision,
    samples_f1,
)


def _taxonomy() -> Taxonomy:
    pairs = []
    for d in ("CC", "URW"):
        for c in range(11 if d == "URW" else 10):
            fam = f"{d}: N{c}"
            pairs += [(f"{fam}: s{k}", fam) for k in range(4)] + [(f"{fam}: Other", fam)]
    return Taxonomy.from_label_pairs(pairs, none_label="Other")


def _old_apply(clf, P, decision):
    """NarrativeClassifier._apply as it was before model._hierarchy (the reference)."""
    nf, nc = len(clf.fine_labels_), len(clf.coarse_labels_)
    thr = np.array([clf.thresholds_[lab] for lab in clf.fine_labels_ + clf.coarse_labels_])
    thr = np.minimum(thr * decision["scale"], 0.99)
    D = (P[:, : nf + nc] >= thr).astype(np.int8)
    fine = D[:, :nf]
    coarse = D[:, nf:] | clf._coarse_from_fine(fine)
    gate = decision.get("none_gate")
    if gate is not None and P.shape[1] > nf + nc:
        is_none = P[:, nf + nc] >= gate
        if decision.get("top1"):
            empty = ~is_none & (fine.sum(axis=1) == 0)
            if empty.any():
                rel = P[:, :nf] / np.maximum(thr[:nf], 1e-6)
                j = rel.argmax(axis=1)
                fine[empty, j[empty]] = 1
                coarse = coarse | clf._coarse_from_fine(fine)
        fine[is_none] = 0
        coarse[is_none] = 0
    return fine, coarse


@pytest.fixture(scope="module")
def fitted_shape():
    """A classifier's fitted label state (no training needed for the decision rule)."""
    from narratives.model import NarrativeClassifier

    tax = _taxonomy()
    clf = NarrativeClassifier(taxonomy=tax.to_dict())
    clf.fine_labels_, clf.coarse_labels_ = tax.fine_labels, tax.coarse_labels
    clf.parents_ = {f: tax.parent(f) for f in tax.fine_labels}
    clf.none_label_ = tax.none_label
    rng = np.random.default_rng(0)
    clf.thresholds_ = {
        lab: float(rng.uniform(0.1, 0.9)) for lab in tax.fine_labels + tax.coarse_labels
    }
    return tax, clf


def test_old_decisions_apply_as_before(fitted_shape):
    """Saved models keep their decision dicts (label_f1, and samples_f1 tuned before
    model._hierarchy): _apply gives exactly the old 0/1 sets on 1,200 rows."""
    _, clf = fitted_shape
    nf, nc = len(clf.fine_labels_), len(clf.coarse_labels_)
    P = np.random.default_rng(1).random((1200, nf + nc + 1)) ** 3
    P[:40] = 0.0
    for d in (
        {"none_gate": None, "scale": 1.0, "top1": False, "objective": "label_f1"},
        {"none_gate": 0.5, "scale": 0.8, "top1": True, "objective": "samples_f1"},
        {"none_gate": 0.35, "scale": 1.5, "top1": False, "objective": "samples_f1"},
    ):
        got = clf._apply(P, d)
        want = _old_apply(clf, P, d)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        # the hierarchy's rule with the fine scale for coarse labels is the same rule
        same = apply_decision(P, _thr(clf), {**d, "coarse_scale": d["scale"]}, _shape(clf))
        assert np.array_equal(same[0], want[0]) and np.array_equal(same[1], want[1])


def _thr(clf):
    return np.array([clf.thresholds_[lab] for lab in clf.fine_labels_ + clf.coarse_labels_])


def _shape(clf):
    return DecisionShape(clf.fine_labels_, clf.coarse_labels_, clf.parents_)


def test_completion_is_the_semeval_writing_rule(fitted_shape):
    """The tuning objective's '<narrative>: Other' completion equals io.semeval_frames, the rule
    of tag -f semeval and evaluate."""
    tax, clf = fitted_shape
    shape = _shape(clf)
    rng = np.random.default_rng(2)
    fine = (rng.random((1000, shape.nf)) < 0.03).astype(np.int8)
    coarse = shape.coarse_of(fine) | (rng.random((1000, shape.nc)) < 0.08).astype(np.int8)
    done = shape.complete(fine, coarse)
    for r in range(len(fine)):
        f = [clf.fine_labels_[j] for j in np.flatnonzero(fine[r])]
        c = [clf.coarse_labels_[j] for j in np.flatnonzero(coarse[r])]
        want = set(semeval_frames(tax, f, c))
        assert {clf.fine_labels_[j] for j in np.flatnonzero(done[r])} == want


def test_samples_f1_counts_empty_rows_as_the_none_label():
    Y = np.array([[0, 0], [1, 0], [1, 1], [0, 0]], dtype=np.int8)
    D = np.array([[0, 0], [0, 0], [1, 0], [1, 0]], dtype=np.int8)
    assert samples_f1(Y, D) == pytest.approx((1 + 0 + 2 / 3 + 0) / 4)


def test_passage_level_training_never_tunes_a_document_decision(tiny_df, monkeypatch):
    """label_f1 (the default, passage-level) models: the hierarchy's tuning is never called and
    the decision is the plain per-label thresholds."""
    from narratives.model import _classifier

    def boom(*a, **k):
        raise AssertionError("tune_decision called for a passage-level model")

    monkeypatch.setattr(_classifier, "tune_decision", boom)
    pipe = make_pipeline(classifier__threshold_cv=2).fit(
        tiny_df["text"].tolist(), tiny_df["frames"].tolist()
    )
    d = pipe.classifier.decision_
    assert d == {"none_gate": None, "scale": 1.0, "top1": False, "objective": "label_f1"}
    P = pipe.classifier.predict_proba_all(pipe.features_of(tiny_df["text"].tolist()))
    got, want = pipe.classifier._apply(P, d), _old_apply(pipe.classifier, P, d)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_document_level_training_tunes_the_hierarchy_decision():
    """samples_f1 (what narratives.train picks for documents) tunes a coarse scale, and a text
    whose narrative has no confident subnarrative is written '<narrative>: Other'."""
    tax = Taxonomy.from_label_pairs(
        [("URW: A: x", "URW: A"), ("URW: A: Other", "URW: A"), ("CC: B: y", "CC: B")],
        none_label="Other",
    )
    texts = ["alpha beta gamma delta", "alpha beta epsilon", "zeta eta theta", "iota kappa"] * 4
    labels = [["URW: A: x"], ["URW: A: Other"], ["CC: B: y"], ["Other"]] * 4
    pipe = make_pipeline(
        tax, classifier__threshold_cv=2, classifier__threshold_objective="samples_f1"
    ).fit(texts, labels)
    d = pipe.classifier.decision_
    assert d["objective"] == "samples_f1" and "coarse_scale" in d
    dec = pipe.decide(texts[:4])
    assert len(dec.frames) == 4
    for frames, families in zip(dec.frames, dec.families, strict=True):
        written = semeval_frames(tax, [f for f in frames if f != "Other"], families)
        assert all(f in tax.fine_labels for f in written)

import numpy as np
import pytest

from narratives.model._open_world import (
    cap_thresholds,
    document_decisions,
    negative_scores,
    tail,
)


@pytest.fixture(scope="module")
def negatives():
    rng = np.random.default_rng(0)
    # Two frames: scores of 5,000 frame-free passages (mostly low, a thin high tail).
    return np.sort(rng.beta(0.5, 12, size=(5000, 2)), axis=0).astype(np.float32)


def test_tail_is_never_zero_and_decreases(negatives):
    col = negatives[:, 0]
    s = np.linspace(0, 1, 50)
    t = tail(col, s)
    assert (t > 0).all() and (np.diff(t) <= 0).all()
    assert tail(col, 2.0) == pytest.approx(1 / (len(col) + 1))


def test_cap_thresholds_bounds_the_false_positive_rate(negatives):
    thr = cap_thresholds(np.array([0.05, 0.99]), negatives, fpr=0.01)
    assert thr[1] == 0.99  # already stricter: unchanged
    assert (negatives[:, 0] >= thr[0]).mean() <= 0.01
    assert (negatives[:, 0] >= thr[0]).mean() > 0.005  # but not much stricter than asked


def test_negative_scores_keep_only_frame_free_open_world_rows():
    oof = np.array([[0.9, 0.1], [0.2, 0.3], [0.4, 0.8], [0.6, 0.7]])
    Y = np.array([[1, 0], [0, 0], [0, 0], [0, 0]])
    neg = negative_scores(oof, Y, np.array([True, True, True, False]))
    assert neg.shape == (2, 2)
    assert neg[:, 0].tolist() == pytest.approx([0.2, 0.4]) and neg[:, 1].tolist() == pytest.approx(
        [0.3, 0.8]
    )


@pytest.mark.parametrize("n", [1, 5, 15, 40, 120])
def test_frame_free_documents_get_a_frame_at_most_alpha_whatever_their_length(negatives, n):
    """The point of the rule: the chance that a frame-free document gets a frame does not grow
    with its length (an 'any passage over the threshold' rule gives 1 - (1 - q)^n)."""
    rng = np.random.default_rng(n)
    thr = cap_thresholds(np.array([0.0, 0.0]), negatives, fpr=0.01)
    docs = 600
    hits = any_rule = 0
    for _ in range(docs):
        P = negatives[rng.integers(0, len(negatives), size=n)]
        hits += document_decisions(P, thr, negatives, alpha=0.05)[0]
        any_rule += (P[:, 0] >= thr[0]).any()
    assert hits / docs <= 0.08  # alpha 0.05 for each of two tests, with sampling noise
    if n >= 40:
        assert any_rule / docs > 0.3  # the old rule fires on a third of long documents


def test_a_framed_passage_still_frames_short_and_long_documents(negatives):
    thr = cap_thresholds(np.array([0.0, 0.0]), negatives, fpr=0.01)
    strong = float(negatives[:, 0].max()) + 0.05  # above every frame-free passage
    for n in (1, 10, 60):
        P = np.tile(negatives[len(negatives) // 2], (n, 1)).astype(float)
        P[0, 0] = strong
        assert document_decisions(P, thr, negatives, alpha=0.05).tolist() == [True, False]
    # several moderately high passages in a long document also count
    P = np.tile(negatives[len(negatives) // 2], (40, 1)).astype(float)
    P[:6, 1] = float(thr[1]) + 1e-4
    assert document_decisions(P, thr, negatives, alpha=0.05)[1]


def test_one_passage_document_is_decided_like_a_passage(negatives):
    thr = cap_thresholds(np.array([0.0, 0.0]), negatives, fpr=0.01)
    for s in np.linspace(0, 1, 41):
        P = np.array([[s, 0.0]])
        assert document_decisions(P, thr, negatives, alpha=0.05)[0] == (s >= thr[0])


def test_binom_sf_equals_scipy_stats():
    """The tail the document rule uses, without importing scipy.stats, is scipy.stats' own."""
    from scipy.stats import binom

    from narratives.model._open_world import binom_sf

    rng = np.random.default_rng(0)
    for n in [*range(1, 40), 100, 2000]:
        ks = range(1, n + 1) if n < 40 else rng.integers(1, n + 1, 30)
        for k in ks:
            for q in [*rng.random(3), 1e-4, 0.5, 1.0]:
                assert binom_sf(int(k) - 1, n, q) == float(binom.sf(k - 1, n, q))

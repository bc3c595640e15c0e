"""Every metric against hand-computed examples, and against scikit-learn where it has the metric."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import MultiLabelBinarizer

from narratives.evaluation import (
    average_precision,
    brier_score,
    calibration_scores,
    cooccurrence,
    expected_calibration_error,
    f1_per_document,
    f1_samples,
    hamming_loss,
    label_space,
    micro_macro,
    per_label_scores,
    precision_recall_curve,
    reliability_bins,
    set_scores,
    stance_scores,
    subset_accuracy,
)

# ------------------------------------------------------------------ hand-computed examples
GOLD = [["a", "b"], ["a"], [], ["c"]]
PRED = [["a"], ["a", "c"], [], ["b"]]
# doc F1: 2*1/3, 2*1/3, 1 (both empty), 0
# label a: tp 2 fp 0 fn 0 -> F1 1; b: tp 0 fp 1 fn 1 -> 0; c: tp 0 fp 1 fn 1 -> 0
# micro: tp 2, fp 2, fn 2 -> 4/8


@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (f1_samples, (GOLD, PRED), (2 / 3 + 2 / 3 + 1 + 0) / 4),
        (f1_samples, ([["Other"]], [["Other"]]), 1.0),
        (f1_samples, ([["x", "y"]], [["x", "y", "z", "w"]]), 2 * 2 / 6),
        (lambda g, p: micro_macro(g, p, ["a", "b", "c", "d"])["micro"], (GOLD, PRED), 0.5),
        (lambda g, p: micro_macro(g, p, ["a", "b", "c", "d"])["macro"], (GOLD, PRED), 1 / 3),
        (lambda g, p: hamming_loss(g, p, ["a", "b", "c"]), (GOLD, PRED), 4 / 12),
        (lambda g, p: hamming_loss(g, p, ["a", "b", "c", "d"]), (GOLD, PRED), 4 / 16),
        (subset_accuracy, (GOLD, PRED), 1 / 4),
        (subset_accuracy, ([["a", "b"]], [["b", "a"]]), 1.0),
        (average_precision, ([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]), (1 + 2 / 3) / 2),
        (average_precision, ([0, 1], [0.9, 0.1]), 0.5),
        (average_precision, ([1, 1, 0], [0.5, 0.5, 0.5]), 2 / 3),  # one tied threshold
        (brier_score, ([1, 0, 1], [1.0, 0.5, 0.25]), (0 + 0.25 + 0.5625) / 3),
        (lambda y, p: expected_calibration_error(y, p, n_bins=2), ([1, 0, 1, 0], [0.9, 0.1, 0.7, 0.3]), 0.2),
        (lambda y, p: expected_calibration_error(y, p, n_bins=10), ([1, 1], [1.0, 1.0]), 0.0),
    ],
    ids=[
        "f1-samples", "f1-samples-other-both", "f1-samples-extra-preds", "micro", "macro-used-labels-only",
        "hamming-3-labels", "hamming-4-labels", "subset-accuracy", "subset-order-free", "ap", "ap-one-positive-last",
        "ap-ties", "brier", "ece-2-bins", "ece-perfect-at-1",
    ],
)  # fmt: skip
def test_hand_computed(func, args, expected):
    assert func(*args) == pytest.approx(expected)


def test_per_label_hand_computed():
    per = per_label_scores(
        GOLD,
        PRED,
        ["a", "b", "c", "d"],
        scores=np.array(
            [[0.9, 0.2, 0.1, 0], [0.8, 0.1, 0.6, 0], [0.1, 0, 0, 0], [0.2, 0.7, 0.3, 0]]
        ),
    )
    assert per["a"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 2,
        "predicted": 2,
        "average_precision": 1.0,
    }
    assert per["b"]["f1"] == 0 and per["b"]["support"] == 1 and per["b"]["predicted"] == 1
    # b's only positive (doc 0, 0.2) ranks second of four -> AP 1/2
    assert per["b"]["average_precision"] == pytest.approx(0.5)
    assert per["d"]["average_precision"] is None and per["d"]["support"] == 0


def test_f1_per_document_and_errors():
    assert f1_per_document(GOLD, PRED).tolist() == pytest.approx([2 / 3, 2 / 3, 1.0, 0.0])
    with pytest.raises(ValueError, match="gold rows"):
        f1_samples([["a"]], [])
    assert f1_samples([], []) == 0.0


def test_unknown_gold_labels_count_as_misses():
    gold = [["known", "never_seen"], ["never_seen"]]
    pred = [["known"], []]
    labels = label_space(["known"], gold, pred)
    assert labels == ["known", "never_seen"]
    res = set_scores(gold, pred, labels, none="Other")
    assert res["f1_samples"] == pytest.approx((2 / 3 + 0) / 2)
    assert res["per_label"]["never_seen"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 2,
        "predicted": 0,
    }
    assert res["f1_macro"] == pytest.approx(0.5)  # known 1.0, never_seen 0.0
    assert res["f1_micro"] == pytest.approx(2 / (2 + 0 + 2))


def test_none_label_is_the_empty_set():
    a = set_scores([["Other"], ["x"]], [["Other"], ["x"]], ["x"], none="Other")
    b = set_scores([[], ["x"]], [[], ["x"]], ["x"], none="Other")
    assert a["f1_samples"] == b["f1_samples"] == 1.0
    assert a["none_label"]["f1"] == 1.0 and a["none_label"]["support"] == 1


def test_precision_recall_curve_matches_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 40)
    s = np.round(rng.random(40), 1)  # ties
    ours = precision_recall_curve(y, s)
    p, r, t = skm.precision_recall_curve(y, s)
    # sklearn: increasing thresholds plus a (1, 0) end point
    assert ours["thresholds"] == pytest.approx(t[::-1].tolist())
    assert ours["precision"] == pytest.approx(p[:-1][::-1].tolist())
    assert ours["recall"] == pytest.approx(r[:-1][::-1].tolist())


def test_reliability_bins_and_calibration():
    bins = reliability_bins([0, 1, 1], [0.05, 0.95, 1.0], n_bins=10)
    assert bins[0]["n"] == 1 and bins[9]["n"] == 2 and bins[9]["positive_rate"] == 1.0
    assert bins[5]["n"] == 0 and bins[5]["mean_proba"] is None
    cal = calibration_scores(np.array([[1, 0], [0, 0]]), np.array([[0.8, 0.1], [0.3, 0.0]]))
    assert cal["n_cells"] == 4 and cal["brier"] == pytest.approx((0.04 + 0.01 + 0.09 + 0) / 4)
    assert cal["brier_labels_with_support"] == pytest.approx((0.04 + 0.09) / 2)


def test_stance_scores_confusion():
    st = stance_scores(
        ["promotes", "reports", "reports", "none", None],
        ["promotes", "promotes", "reports", "none", "promotes"],
    )
    assert st["accuracy"] == pytest.approx(2 / 3) and st["n"] == 3
    assert st["accuracy_all"] == pytest.approx(3 / 4) and st["n_all"] == 4
    M = np.array(st["confusion"]["matrix"])
    assert st["confusion"]["gold"] == ["promotes", "reports", "none"]
    assert M[1, 0] == 1 and M[1, 1] == 1 and M.sum() == 4
    assert stance_scores([None, None], ["promotes", "none"]) is None


def test_cooccurrence_counts():
    co = cooccurrence([["a"], ["a", "b"], []], [["b"], ["a"], ["a"]], ["a", "b"], "none")
    assert co["labels"] == ["a", "b", "none"]
    assert co["matrix"] == [[1, 1, 0], [1, 0, 0], [1, 0, 0]]
    assert co["gold_counts"] == [2, 1, 1]


# --------------------------------------------------------------------- against scikit-learn
def _random_sets(seed: int, n: int = 60, labels: str = "abcdef", p: float = 0.25):
    rng = np.random.default_rng(seed)
    gold = [[lab for lab in labels if rng.random() < p] for _ in range(n)]
    pred = [[lab for lab in labels if rng.random() < p] for _ in range(n)]
    scores = rng.random((n, len(labels)))
    return gold, pred, scores, list(labels)


SEEDS = [0, 1, 2]


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_set_metrics_match_sklearn(seed):
    gold, pred, _, labels = _random_sets(seed)
    none = "NONE"
    # SemEval convention: an empty set is the none label, a label of its own
    g_none = [s or [none] for s in gold]
    p_none = [s or [none] for s in pred]
    mlb = MultiLabelBinarizer(classes=[*labels, none]).fit([labels])
    G, P = mlb.transform(g_none), mlb.transform(p_none)
    assert f1_samples(gold, pred) == pytest.approx(
        skm.f1_score(G, P, average="samples", zero_division=0)
    )
    # micro / macro over labels in gold or predictions, none label excluded
    used = sorted({x for s in gold + pred for x in s})
    mlb2 = MultiLabelBinarizer(classes=used).fit([used])
    G2, P2 = mlb2.transform(gold), mlb2.transform(pred)
    mm = micro_macro(gold, pred, labels)
    assert mm["micro"] == pytest.approx(skm.f1_score(G2, P2, average="micro", zero_division=0))
    assert mm["macro"] == pytest.approx(skm.f1_score(G2, P2, average="macro", zero_division=0))
    mlb3 = MultiLabelBinarizer(classes=labels).fit([labels])
    G3, P3 = mlb3.transform(gold), mlb3.transform(pred)
    assert hamming_loss(gold, pred, labels) == pytest.approx(skm.hamming_loss(G3, P3))
    assert subset_accuracy(gold, pred) == pytest.approx(skm.accuracy_score(G3, P3))
    per = per_label_scores(gold, pred, labels)
    p, r, f, s = skm.precision_recall_fscore_support(G3, P3, zero_division=0)
    for j, lab in enumerate(labels):
        assert (
            per[lab]["precision"],
            per[lab]["recall"],
            per[lab]["f1"],
            per[lab]["support"],
        ) == pytest.approx((p[j], r[j], f[j], s[j]))


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_ranking_and_calibration_match_sklearn(seed):
    gold, _, scores, labels = _random_sets(seed)
    mlb = MultiLabelBinarizer(classes=labels).fit([labels])
    G = mlb.transform(gold)
    scores = np.round(scores, 2)  # some ties
    per = per_label_scores(gold, gold, labels, scores=scores)
    for j, lab in enumerate(labels):
        if G[:, j].any():
            assert per[lab]["average_precision"] == pytest.approx(
                skm.average_precision_score(G[:, j], scores[:, j])
            )
    assert brier_score(G, scores) == pytest.approx(skm.brier_score_loss(G.ravel(), scores.ravel()))

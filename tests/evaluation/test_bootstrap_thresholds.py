"""Bootstrap intervals (determinism, coverage of the point estimate, paired differences) and
per-label threshold tuning."""

from __future__ import annotations

import numpy as np
import pytest

from narratives.evaluation import (
    best_threshold,
    bootstrap_ci,
    f1_curve,
    level_stats,
    micro_macro,
    paired_bootstrap,
    tune_thresholds,
)

LABELS = ["a", "b", "c"]


def _systems(seed: int = 0, n: int = 80):
    rng = np.random.default_rng(seed)
    gold = [[lab for lab in LABELS if rng.random() < 0.3] for _ in range(n)]
    good = [[lab for lab in LABELS if (lab in g) != (rng.random() < 0.1)] for g in gold]
    bad = [[lab for lab in LABELS if (lab in g) != (rng.random() < 0.4)] for g in gold]
    return gold, good, bad


def _levels(gold, pred):
    return {"fine": level_stats(gold, pred, LABELS, "none")}


def test_bootstrap_is_deterministic_and_seedable():
    gold, good, _ = _systems()
    a = bootstrap_ci(_levels(gold, good), n_boot=300, seed=7)
    b = bootstrap_ci(_levels(gold, good), n_boot=300, seed=7)
    c = bootstrap_ci(_levels(gold, good), n_boot=300, seed=8)
    assert a == b
    assert a["f1_samples_fine"] != c["f1_samples_fine"]


def test_bootstrap_intervals_bracket_the_estimate():
    gold, good, _ = _systems()
    ci = bootstrap_ci(_levels(gold, good), n_boot=400, seed=0)
    mm = micro_macro(gold, good, LABELS)
    for key, value in (("f1_micro_fine", mm["micro"]), ("f1_macro_fine", mm["macro"])):
        assert ci[key]["low"] <= value <= ci[key]["high"]
        assert 0 < ci[key]["high"] - ci[key]["low"] < 0.5
    assert set(ci["per_label_fine"]) == set(LABELS)
    assert bootstrap_ci(_levels(gold, good), n_boot=0) == {}


def test_bootstrap_block_size_does_not_change_results(monkeypatch):
    from narratives.evaluation import _bootstrap

    gold, good, _ = _systems()
    a = bootstrap_ci(_levels(gold, good), n_boot=50, seed=3)
    monkeypatch.setattr(_bootstrap, "_BLOCK_CELLS", 80 * 7)  # 7 resamples per block
    b = bootstrap_ci(_levels(gold, good), n_boot=50, seed=3)
    for k in ("f1_samples_fine", "f1_micro_fine", "f1_macro_fine"):
        assert a[k] == pytest.approx(b[k])


def test_paired_bootstrap():
    gold, good, bad = _systems()
    same = paired_bootstrap(_levels(gold, good), _levels(gold, good), n_boot=200, seed=0)
    assert same["f1_samples_fine"]["diff"] == 0 and same["f1_samples_fine"]["p_value"] == 1.0
    better = paired_bootstrap(_levels(gold, good), _levels(gold, bad), n_boot=500, seed=0)
    r = better["f1_samples_fine"]
    assert r["diff"] > 0 and r["low"] > 0 and r["p_value"] < 0.01 and r["a_better_share"] > 0.99
    with pytest.raises(ValueError, match="same documents"):
        paired_bootstrap(_levels(gold, good), _levels(gold[:-1], good[:-1]), n_boot=10)


# ------------------------------------------------------------------------------ thresholds
@pytest.mark.parametrize(
    ("y", "s", "kw", "expected"),
    [
        ([1, 1, 0, 0], [0.9, 0.4, 0.3, 0.1], {}, {"threshold": 0.35, "f1": 1.0, "precision": 1.0, "recall": 1.0}),
        ([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], {}, {"threshold": 0.2, "f1": 0.8}),
        ([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.2], {"objective": "precision", "target_precision": 1.0},
         {"threshold": 0.85, "recall": 1 / 3}),
        ([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.2], {"objective": "precision", "target_precision": 0.6},
         {"threshold": 0.2, "recall": 1.0, "precision": 0.6}),
    ],
    ids=["separable", "f1-cut-low", "precision-1", "precision-0.6"],
)  # fmt: skip
def test_best_threshold(y, s, kw, expected):
    got = best_threshold(y, s, **kw)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)
    # the threshold reproduces the reported scores on the same data
    pred = np.asarray(s) >= got["threshold"]
    tp = int((pred & np.asarray(y, bool)).sum())
    assert tp / sum(y) == pytest.approx(got["recall"])


def test_best_threshold_edge_cases():
    assert best_threshold([0, 0], [0.2, 0.9]) is None
    assert best_threshold([1, 0], [0.2, 0.9], objective="precision", target_precision=0.9) is None
    with pytest.raises(ValueError):
        best_threshold([1, 0], [0.2, 0.9], objective="precision")
    assert f1_curve([1, 0, 1], [0.9, 0.6, 0.3], [0.5, 0.2]) == pytest.approx([0.5, 0.8])


def test_tune_thresholds_in_sample_and_cross_fitted():
    rng = np.random.default_rng(0)
    n = 120
    Y = rng.random((n, 2)) < 0.3
    # scores informative but shifted low: 0.5 is a bad threshold, ~0.3 a good one
    S = np.clip(0.1 + 0.25 * Y + rng.normal(0, 0.06, (n, 2)), 0, 1)
    folds = np.arange(n) % 4
    res = tune_thresholds(Y, S, ["x", "y"], folds=folds)
    s = res["summary"]
    assert s["at_base"]["f1_macro"] < 0.2
    assert s["tuned_in_sample"]["f1_macro"] > 0.8 and s["cross_fitted"]["f1_macro"] > 0.8
    assert s["tuned_in_sample"]["f1_macro"] >= s["cross_fitted"]["f1_macro"] - 1e-9
    assert s["gain_basis"] == "cross_fitted" and s["gain"]["f1_macro"] > 0.6
    assert 0.15 < res["thresholds"]["x"] < 0.35
    assert len(res["per_label"]["x"]["curve"]) == len(res["grid"])
    prec = tune_thresholds(Y, S, ["x", "y"], objective="precision", target_precision=0.95)
    for lab in ("x", "y"):
        assert prec["per_label"][lab]["tuned"]["precision"] >= 0.95

"""Group-aware folds and the three baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from narratives import InputError, Taxonomy
from narratives.evaluation import CueLexiconBaseline, MajorityBaseline, SpacyBowBaseline, make_folds


def test_folds_keep_near_duplicates_and_groups_together(eval_df):
    texts = eval_df["text"].tolist()
    fold, group, info = make_folds(texts, 3, seed=0, groups=eval_df["source"].tolist())
    for src in eval_df["source"].unique():
        assert len(set(fold[eval_df["source"] == src])) == 1, src
    # the near-duplicate pair (different sources) links paper-c and paper-e
    assert fold[12] == fold[13] and group[12] == group[13]
    assert info["near_duplicate_clusters"] == 1 and info["texts_in_near_duplicate_clusters"] == 2
    assert sorted(info["fold_sizes"]) == sorted(np.bincount(fold).tolist())
    again, _, _ = make_folds(texts, 3, seed=0, groups=eval_df["source"].tolist())
    assert (fold == again).all()


def test_folds_without_groups_and_errors(eval_df):
    texts = eval_df["text"].tolist()
    fold, _group, info = make_folds(texts, 5, seed=1)
    assert info["n_groups"] == len(texts) - 1 and len(set(fold)) == 5
    assert max(np.bincount(fold)) - min(np.bincount(fold)) <= 1
    with pytest.raises(InputError, match="independent groups"):
        make_folds(texts, 5, groups=["one"] * 8 + ["two"] * 7)
    with pytest.raises(InputError, match="at least 2 folds"):
        make_folds(texts, 1)


def test_majority_baseline(eval_df):
    tax = Taxonomy.default()
    b = MajorityBaseline(tax).fit(eval_df)
    p = b.predict(["anything", "else"])
    assert p.fine == [[], []] and p.coarse == [[], []]  # 6 of 15 texts have no frame
    j = tax.fine_labels.index("artificial_state")
    assert p.proba_fine[0, j] == pytest.approx(4 / 15) and p.probabilistic


def test_cue_lexicon_with_taxonomy_cues(eval_df):
    tax = Taxonomy.default()
    b = CueLexiconBaseline(tax).fit(eval_df)
    assert b.mode == "taxonomy"
    p = b.predict(["They call it an ARTIFICIAL   state.", "Nothing here.", "artificial statehood"])
    assert p.fine[0] == ["artificial_state"] and p.fine[1] == [] and p.fine[2] == []
    assert p.coarse[0] == ["sovereignty"] and not p.probabilistic
    assert p.proba_fine[0, tax.fine_labels.index("artificial_state")] == 1


def test_cue_lexicon_derived_from_training_folds():
    tax = Taxonomy.from_label_pairs(
        [("CC: Hoax: Other", "CC: Hoax"), ("URW: Blame: NATO", "URW: Blame")],
        none_label="Other",
        name="t",
    )
    df = pd.DataFrame({
        "text": ["the climate hoax is a scam", "climate hoax again, total scam", "warming is a scam by elites",
                 "NATO provoked the war", "NATO expansion provoked Moscow", "bread prices rose", "a quiet day"],
        "frames": [["CC: Hoax: Other"], ["CC: Hoax: Other"], ["CC: Hoax: Other"], ["URW: Blame: NATO"], ["URW: Blame: NATO"], ["Other"], []],
    })  # fmt: skip
    b = CueLexiconBaseline(tax).fit(df)
    assert (
        b.mode == "derived"
        and "scam" in b.terms_["CC: Hoax: Other"]
        and "provoked" in b.terms_["URW: Blame: NATO"]
    )
    p = b.predict(["What a scam this climate hoax is", "NATO provoked it", "rain"])
    assert p.fine == [["CC: Hoax: Other"], ["URW: Blame: NATO"], []]
    assert p.coarse[0] == ["CC: Hoax"]
    assert "derived from the training folds" in b.info()["description"]


def test_spacy_bow_baseline_is_seeded(eval_df):
    tax = Taxonomy.default()
    a = SpacyBowBaseline(tax, epochs=3, seed=0).fit(eval_df)
    b = SpacyBowBaseline(tax, epochs=3, seed=0).fit(eval_df)
    texts = ["Lenin invented this artificial state.", "Trams ran late in Vilnius."]
    pa, pb = a.predict(texts), b.predict(texts)
    assert np.allclose(pa.proba_fine, pb.proba_fine) and pa.fine == pb.fine
    assert pa.proba_fine.shape == (2, len(tax.fine_labels)) and pa.proba_coarse.shape == (
        2,
        len(tax.coarse_labels),
    )
    assert (
        a.nlp_.get_pipe_config("textcat_multilabel")["model"]["@architectures"]
        == "spacy.TextCatBOW.v3"
    )
    for fine, coarse in zip(
        pa.fine, pa.coarse, strict=True
    ):  # a predicted frame implies its family
        assert {tax.parent(f) for f in fine} <= set(coarse)


def test_cross_fitted_thresholds_for_a_baseline():
    from narratives.evaluation import CrossFittedThresholds, Predictions

    tax = Taxonomy.from_label_pairs([("A: x", "A"), ("B: y", "B")], none_label="Other", name="t")
    n = 40
    rng = np.random.default_rng(0)
    gold = [["A: x"] if i % 4 == 0 else (["B: y"] if i % 4 == 1 else []) for i in range(n)]
    # informative but low scores: nothing reaches 0.5
    Pf = np.array(
        [[0.3 if g == ["A: x"] else 0.1, 0.3 if g == ["B: y"] else 0.1] for g in gold]
    ) + rng.normal(0, 0.01, (n, 2))
    Pc = Pf.copy()
    base = SpacyBowBaseline(tax)
    pred = Predictions([[] for _ in gold], [[] for _ in gold], Pf, Pc)
    fold = (np.arange(n) // 4) % 4  # every fold holds every label
    tuned = CrossFittedThresholds(base, tax).apply(
        pred, gold, [[lab.split(":")[0] for lab in g] for g in gold], fold
    )
    assert tuned.fine == gold
    assert tuned.coarse[0] == ["A"] and tuned.coarse[2] == []

"""Thresholds per language: a language without open-world rows gets its own, tuned on its rows."""

import numpy as np
import scipy.sparse as sp

from narratives.model import NarrativeClassifier
from narratives.model._label_models import _best_threshold

TAX = {
    "name": "t",
    "version": "1",
    "none_label": "none",
    "families": {"fam": {"name": "Fam", "definition": "d"}},
    "frames": [{"id": "a", "family": "fam", "name": "A", "definition": "d", "cues": []}],
}


def _data(seed=0):
    """English rows with a strong signal for label a, Russian rows with a weak one."""
    rng = np.random.default_rng(seed)
    n_en, n_ru = 300, 200
    y = np.r_[rng.random(n_en) < 0.4, rng.random(n_ru) < 0.4]
    signal = np.r_[np.full(n_en, 3.0), np.full(n_ru, 0.8)]
    X = rng.normal(size=(n_en + n_ru, 5))
    X[:, 0] += y * signal
    X[:, 1] = np.r_[np.zeros(n_en), np.ones(n_ru)]  # a language feature
    labels = [["a"] if v else [] for v in y]
    langs = ["en"] * n_en + ["ru"] * n_ru
    open_world = np.r_[np.ones(n_en, bool) & ~y[:n_en], np.zeros(n_ru, bool)]
    return sp.csr_matrix(X - X.min()), labels, langs, open_world


def _fit(**kw):
    X, labels, langs, ow = _data()
    clf = NarrativeClassifier(taxonomy=TAX, threshold_cv=3, C=1.0, open_world_fpr=0.05)
    return clf.fit(X, labels, languages=langs, open_world=ow, **kw), X, langs


def test_only_languages_without_open_world_rows_get_their_own_thresholds():
    clf, _X, _langs = _fit()
    assert set(clf.language_thresholds_) == {"ru"}
    assert "a" in clf.language_thresholds_["ru"]


def test_decisions_use_each_rows_language():
    clf, X, _langs = _fit()
    clf.language_thresholds_ = {"ru": {"a": 0.0, "fam": 0.0}}
    row = X[:1]
    en = clf.decide(row, languages=["en"])
    ru = clf.decide(row, languages=["ru"])
    assert ru.frames[0] == ["a"]
    assert ru.thresholds is not None and ru.thresholds[0, 0] == 0.0
    p = float(en.proba_fine[0, 0])
    assert en.frames[0] == (["a"] if p >= clf.thresholds_["a"] else ["none"])
    # Without languages (or for a language without its own): the shared thresholds.
    assert clf.decide(row).frames == en.frames
    assert clf.decide(row).thresholds is None


def test_a_language_threshold_is_tuned_on_that_languages_rows_only(monkeypatch):
    seen = []
    import narratives.model._classifier as mod

    def spy(scores, y, *args):
        seen.append(len(y))
        return _best_threshold(scores, y, *args)

    monkeypatch.setattr(mod, "_best_threshold", spy)
    _fit()
    assert 200 in seen  # the Russian rows alone (fine and family labels)
    assert 300 in seen  # the English rows alone: Russian rows do not pull the shared thresholds
    assert 500 not in seen


def test_labels_with_few_positives_in_a_language_keep_the_shared_threshold():
    X, labels, langs, ow = _data()
    labels = [
        lab if lang == "en" or i % 50 == 0 else []
        for i, (lab, lang) in enumerate(zip(labels, langs, strict=True))
    ]
    clf = NarrativeClassifier(taxonomy=TAX, threshold_cv=3, C=1.0, open_world_fpr=0.05)
    clf.fit(X, labels, languages=langs, open_world=ow)
    assert "a" not in clf.language_thresholds_.get("ru", {})


def test_classifiers_saved_before_language_thresholds_decide_as_before():
    clf, X, _ = _fit()
    state = dict(clf.__dict__)
    del state["language_thresholds_"]
    old = NarrativeClassifier.__new__(NarrativeClassifier)
    old.__setstate__(state)
    assert old.language_thresholds_ == {}
    assert old.decide(X[:5], languages=["ru"] * 5).frames == clf.decide(X[:5]).frames


def test_training_through_the_api_finds_each_rows_language():
    import pandas as pd

    import narratives

    en = "Kazakhstan is an artificial state. It owes its existence to Moscow."
    ru = "Казахстан — искусственное государство, созданное Лениным."
    rows = []
    for i in range(30):
        rows.append({"text": f"{en} Item {i}.", "frames": ["a"], "open_world": False})
        rows.append(
            {"text": f"The lake froze early in Riga, day {i}.", "frames": [], "open_world": True}
        )
        rows.append({"text": f"{ru} Выпуск {i}.", "frames": ["a"], "open_world": False})
        rows.append(
            {"text": f"В Риге рано замерзло озеро, день {i}.", "frames": [], "open_world": False}
        )
    model = narratives.train(
        pd.DataFrame(rows), taxonomy=TAX, seed=0, params={"classifier__open_world_fpr": 0.05}
    )
    assert model.languages == ["en", "ru"]
    assert set(model.pipeline.classifier.language_thresholds_) == {"ru"}

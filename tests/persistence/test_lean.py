"""Tagging a saved model without scikit-learn or skops (issue 15): the lean load.

A model loaded from disk tags with lean twins of its classes (``model._lean``), read from the
pipeline file by the restricted reader (``persistence._skops_reader``). These tests hold the new
path to the old one: the default model's probabilities, decisions and rows, on realistic
documents (empty and long ones included), equal those of the pipeline skops loads and
scikit-learn's own TF-IDF transforms; the reader's objects equal skops' own.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio

import narratives
from _modelfiles import read_members, write_pipeline
from narratives._model import NarrativeModel
from narratives.features._transform import _counts, tfidf_weighting
from narratives.persistence._lean import NeedsFullLoad, load_lean
from narratives.persistence._persist import _readable_class
from narratives.persistence._skops_reader import read_skops

ROOT = Path(__file__).resolve().parents[2]


def _jsonl(path: Path, field: str, n: int, step: int = 1) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r[field] for r in rows[::step][:n]]


@pytest.fixture(scope="module")
def documents() -> list[str]:
    """English, Russian and Ukrainian text as the model meets it: news-like sample documents,
    real passages, written corpus items; empty, blank and markup-only documents; two long
    documents of many paragraphs (one over the passage limit in a single sentence)."""
    real = _jsonl(ROOT / "data/real/kremlin-en/passages.jsonl", "text", 120, step=31)
    docs = _jsonl(ROOT / "data/sample/sample_corpus.jsonl", "text", 40)
    docs += real[:80]
    docs += _jsonl(ROOT / "data/corpus-ru/part-01.jsonl", "text", 30, step=7)
    docs += _jsonl(ROOT / "data/corpus-uk/part-01.jsonl", "text", 20, step=11)
    docs += ["", "   \n\t", "<p></p>", "Riga.", "Kazakhstan is an artificial state. " * 3]
    docs.append("\n\n".join(real))  # one long document
    docs.append(" ".join(["Moscow says Kazakhstan is an artificial state"] * 200))
    return docs


@pytest.fixture(scope="module")
def default_path() -> Path:
    return narratives.default_model_path()


@pytest.fixture(scope="module")
def lean_model(default_path) -> NarrativeModel:
    model = narratives.load(default_path)
    assert type(model.decider).__name__ == "LeanPipeline"
    return model


@pytest.fixture(scope="module")
def skops_pipeline(default_path):
    """The default model as every load read it before: skops, with the trusted types."""
    ppath = default_path / "pipeline.skops"
    return sio.load(ppath, trusted=sio.get_untrusted_types(file=ppath))


def _units(segs):
    passages = [p.processed for s in segs for p in s.passages if p.taggable]
    return passages + [s.document for s in segs]


def test_probabilities_equal_the_old_path(lean_model, skops_pipeline, documents):
    """Features by scikit-learn's own vectorizers and the classifier skops loaded, against the
    lean twins: the same probabilities, bit for bit, for every passage and whole document."""
    segs = skops_pipeline.named_steps["preprocess"].segment(documents)
    units = _units(segs)
    assert len(units) > 500
    feats = skops_pipeline.named_steps["features"]
    X_old = sp.hstack(
        [
            feats.word_.transform([u.tokens or "<empty>" for u in units]),
            feats.char_.transform([u.text.lower() for u in units]),
            _counts(feats, units),
        ],
        format="csr",
        dtype=np.float32,
    )
    lean = lean_model.decider
    X_new = lean.named_steps["features"].transform(units)
    assert X_new.shape == X_old.shape
    for a in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(X_new, a), getattr(X_old, a))
    old = skops_pipeline.classifier.decide(X_old, languages=[u.lang for u in units])
    new = lean.classifier.decide(X_new, languages=[u.lang for u in units])
    for a in ("proba_fine", "proba_coarse", "proba_none", "fine", "coarse", "stance_frames"):
        np.testing.assert_array_equal(getattr(new, a), getattr(old, a), err_msg=a)
    assert new.frames == old.frames and new.stances == old.stances


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_rows_equal_the_old_path(lean_model, skops_pipeline, documents, unit):
    old = NarrativeModel(skops_pipeline, dict(lean_model.manifest)).tag(documents, unit=unit)
    new = lean_model.tag(documents, unit=unit)
    assert type(lean_model.decider).__name__ == "LeanPipeline"
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert (new["flag"] == "empty").sum() >= 2


def test_the_reader_makes_what_skops_makes(default_path):
    """The full load reads the file without skops: every object, attribute, array and type
    equal to skops' own (both fresh: scikit-learn's transform records state of its own)."""
    ppath = default_path / "pipeline.skops"
    ours = read_skops(ppath, _readable_class)
    _assert_same(ours, sio.load(ppath, trusted=sio.get_untrusted_types(file=ppath)), "pipeline")


def _assert_same(a, b, where: str) -> None:
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        _assert_same(vars(a), vars(b), f"{where}.__dict__")
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def test_load_pipeline_reads_the_default_model_without_skops(default_path, monkeypatch):
    from narratives.persistence import _persist

    def refuse(*args, **kwargs):
        raise AssertionError("skops read the file")

    monkeypatch.setattr(_persist.sio, "load", refuse)
    monkeypatch.setattr(_persist.sio, "get_untrusted_types", refuse)
    pipe, _ = _persist.load_pipeline(default_path)
    assert type(pipe).__name__ == "NarrativePipeline"


def test_tagging_one_document_imports_neither_sklearn_nor_skops(tmp_path):
    (tmp_path / "one.txt").write_text("Kazakhstan is an artificial state that Lenin drew on a map.")
    code = (
        "import sys\n"
        "from narratives.cli._app import main\n"
        "assert main(['tag', 'one.txt', '-o', 'out.jsonl', '-q']) == 0\n"
        "heavy = ('sklearn', 'skops', 'scipy.stats', 'datasketch', 'joblib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert res.stdout.strip().splitlines()[-1] == "[]"
    row = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert row["frames"] == ["artificial_state"]


def test_the_pipeline_is_loaded_when_asked_for(default_path, documents):
    """``model.pipeline`` loads the scikit-learn pipeline from the same directory; from then on
    the model tags with it (a change to it shows), with the same rows."""
    model = narratives.load(default_path)
    before = model.tag(documents[:20])
    pipe = model.pipeline
    assert type(pipe).__name__ == "NarrativePipeline" and model.decider is pipe
    pd.testing.assert_frame_equal(model.tag(documents[:20]), before, check_exact=True)
    pipe.classifier.thresholds_["artificial_state"] = 1.0
    assert "artificial_state" not in {f for fs in model.tag(documents[:20])["frames"] for f in fs}


def test_pipeline_of_a_changed_directory_is_refused(tiny_model, tmp_path):
    tiny_model.save(tmp_path / "m")
    model = narratives.load(tmp_path / "m")
    tiny_model.with_thresholds({"artificial_state": 0.5}).save(tmp_path / "m")
    with pytest.raises(narratives.ModelIntegrityError, match="changed on disk"):
        model.pipeline  # noqa: B018


def test_with_thresholds_and_explain_on_a_lean_model(lean_model):
    text = "Kazakhstan is an artificial state that owes its existence to Moscow."
    model = narratives.load(lean_model.path)
    strict = model.with_thresholds({"artificial_state": 0.85})
    assert strict.thresholds["artificial_state"] == 0.85
    assert model.thresholds["artificial_state"] != 0.85
    labels = {lab["label"]: lab for lab in model.explain(text)["labels"]}  # loads the pipeline
    assert labels["artificial_state"]["predicted"]
    assert strict.tag([text])["scores"][0] == model.tag([text])["scores"][0]


def test_a_saved_tiny_model_tags_alike_both_ways(tiny_model, tmp_path, documents):
    """Every document, the empty, blank, markup-only and long ones at the end included."""
    tiny_model.save(tmp_path / "m")
    lean = narratives.load(tmp_path / "m")
    assert type(lean.decider).__name__ == "LeanPipeline"
    for unit in ("passage", "document"):
        new = lean.tag(documents, unit=unit)
        pd.testing.assert_frame_equal(new, tiny_model.tag(documents, unit=unit), check_exact=True)
    assert (new["flag"] == "empty").sum() >= 2


@pytest.fixture(scope="module")
def v1_model(tiny_df, tmp_path_factory) -> tuple[NarrativeModel, Path]:
    """Sigmoid calibration by CalibratedClassifierCV (models before 0.2), saved."""
    model = narratives.train(
        tiny_df,
        seed=0,
        params={"classifier__threshold_cv": 2, "classifier__calibration": "sigmoid"},
    )
    return model, model.save(tmp_path_factory.mktemp("v1") / "m")


def test_a_model_the_twins_do_not_score_loads_with_scikit_learn(tiny_df, v1_model):
    """Not a lean type, so the model loads with scikit-learn (and skops), and tags as before."""
    model, path = v1_model
    with pytest.raises(NeedsFullLoad):
        load_lean(path)
    loaded = narratives.load(path)
    assert type(loaded.decider).__name__ == "NarrativePipeline"
    texts = list(tiny_df["text"])
    pd.testing.assert_frame_equal(loaded.tag(texts), model.tag(texts), check_exact=True)


def test_each_fallback_starts_once_the_reader_before_it_let_go(v1_model, monkeypatch):
    """The model is read by the lean reader, then by the full reader, then by skops. Each
    fallback ran inside the ``except`` block of the one before, whose exception held that
    reader's frames and everything it had made."""
    from narratives import persistence
    from narratives.features import NarrativeFeatures
    from narratives.features._transform import LeanFeatures
    from narratives.persistence import _persist

    def alive(kind: type) -> int:
        return sum(isinstance(o, kind) for o in gc.get_objects())

    seen = []

    def spy(real, kind):
        def call(*args):
            seen.append(alive(kind))
            return real(*args)

        return call

    monkeypatch.setattr(persistence, "load_pipeline", spy(_persist.load_pipeline, LeanFeatures))
    monkeypatch.setattr(
        _persist, "_load_with_skops", spy(_persist._load_with_skops, NarrativeFeatures)
    )
    gc.collect()
    before = [alive(LeanFeatures), alive(NarrativeFeatures)]
    gc.disable()  # what the code lets go of is freed at once, not by a later collection
    try:
        loaded = narratives.load(v1_model[1])
    finally:
        gc.enable()
    assert type(loaded.decider).__name__ == "NarrativePipeline"
    assert seen == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("sublinear", "norm"), [(True, "l2"), (False, "l2"), (True, None)])
def test_tfidf_weighting_equals_scikit_learn(dtype, sublinear, norm):
    """Rows of up to thousands of values (where a pairwise sum would round differently)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(0)
    counts = sp.random(300, 5000, density=0.05, format="csr", random_state=rng, dtype=dtype)
    counts.data = np.ceil(counts.data * 7).astype(dtype)
    counts = sp.vstack([counts, sp.csr_matrix((1, 5000), dtype=dtype)], format="csr")
    long = sp.csr_matrix(np.ceil(rng.random((2, 5000)) * 3).astype(dtype))
    counts = sp.vstack([counts, long], format="csr")
    tfidf = TfidfTransformer(sublinear_tf=sublinear, norm=norm).fit(counts)
    expected = tfidf.transform(counts.copy())
    got = tfidf_weighting(counts.copy(), sublinear, tfidf.idf_, norm)
    assert got.dtype == expected.dtype
    for a in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got, a), getattr(expected, a))


def test_the_gazetteer_reads_the_same_with_libyaml():
    """load_gazetteer uses libyaml's parser when PyYAML has it: the same entries."""
    from importlib import resources

    import yaml

    from narratives.preprocessing._spacy import load_gazetteer

    text = resources.files("narratives.resources").joinpath("gazetteer.yaml").read_text("utf-8")
    assert load_gazetteer() == yaml.safe_load(text)["entries"]


def test_small_batches_score_as_large_ones(lean_model, documents):
    """Up to SMALL_BATCH rows are scored one weight column at a time, larger batches with the
    stacked weights: the same values, bit for bit."""
    from narratives.model._deciding import _STACKED, SMALL_BATCH

    lean = lean_model.decider
    units = _units(lean.named_steps["preprocess"].segment(documents[:80]))
    X = sp.csr_matrix(lean.named_steps["features"].transform(units))
    clf = lean.classifier
    _STACKED.pop(clf, None)
    small = [clf._scores(X[i : i + SMALL_BATCH]) for i in range(0, X.shape[0], SMALL_BATCH)]
    assert _STACKED[clf][0] is None  # never stacked
    P, S = clf._scores(X)
    assert X.shape[0] > SMALL_BATCH and _STACKED[clf][0] is not None
    np.testing.assert_array_equal(np.vstack([p for p, _ in small]), P)
    np.testing.assert_array_equal(np.vstack([s for _, s in small]), S)


def test_a_state_the_twins_cannot_read_is_left_to_the_full_load(tiny_model, tmp_path):
    """A saved vectorizer without its ``analyzer``: the lean load refers the model to the full
    load instead of failing (or tagging) with it."""
    tiny_model.save(tmp_path / "m")
    members = read_members(tmp_path / "m" / "pipeline.skops")
    schema = json.loads(members["schema.json"])
    features = schema["content"]["content"]["steps"]["content"][1]["content"][1]
    word = features["content"]["content"]["word_"]
    assert word["__class__"] == "TfidfVectorizer"
    del word["content"]["content"]["analyzer"]
    members["schema.json"] = json.dumps(schema).encode()
    write_pipeline(tmp_path / "m", members)
    with pytest.raises(NeedsFullLoad):
        load_lean(tmp_path / "m")
